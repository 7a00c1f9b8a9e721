// SPDX-License-Identifier: Apache-2.0
// How a guest binds the KBS session to its TEE evidence (PROTOCOLS.md §1.3): the digest
// of the runtime data that goes into the TEE report's report_data, and the init-data
// digest that must equal HOST_DATA / MRCONFIGID / RPV.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/digest.h"
#include "json/json.h"

namespace cocoon::kbs_protocol {

// HASH(JCS({"nonce": nonce, "tee-pubkey": tee_pubkey_jwk[, "additional-evidence":
// additional_evidence]})), with RFC 8785 canonicalization. The guest passes the JWK it
// sends; the KBS passes RuntimeData::tee_pubkey_json (the key as received) so that both
// hash the same members. Primary evidence includes "additional-evidence" (the string
// sent in tee-evidence, possibly ""); additional devices bind without it (nullopt).
// Fails with kInvalidArgument when `hash` is SHA-1 or the JWK cannot be canonicalized.
Result<Bytes> runtimeDataDigest(std::string_view nonce, const json::Json& tee_pubkey_jwk,
                                std::optional<std::string_view> additional_evidence,
                                crypto::DigestAlgorithm hash);

// `digest` followed by zero bytes up to `field_size` (64 for SNP and TDX report_data).
// Fails with kInvalidArgument when the digest is longer than the field.
Result<Bytes> padReportData(ByteSpan digest, std::size_t field_size);

// HASH of the whole init-data text, zero-padded or truncated to `field_size` (32 for SNP
// HOST_DATA, 48 for TDX MRCONFIGID, 64 for CCA RPV). Fails with kInvalidArgument when
// `hash` is SHA-1 (init-data names sha256, sha384 or sha512).
Result<Bytes> initDataDigest(std::string_view init_data, crypto::DigestAlgorithm hash,
                             std::size_t field_size);

}  // namespace cocoon::kbs_protocol
