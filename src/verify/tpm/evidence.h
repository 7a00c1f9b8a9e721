// SPDX-License-Identifier: Apache-2.0
// The JSON evidence of the `tpm` TEE (guest-components' TPM attester), decoded to bytes.
//
// Trust: the whole object comes from the guest; decoding only checks its shape and sizes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "json/json.h"

namespace cocoon::verify::tpm {

// Number of SHA-256 PCR values the evidence carries, PCR 0 first (PC Client: 24 PCRs).
inline constexpr std::size_t kPcrCount = 24;
inline constexpr std::size_t kSha256Size = 32;
// At most this many certificates in ak_cert_chain (leaf + intermediates).
inline constexpr std::size_t kMaxAkCertificates = 4;
// Cap on the decoded event log (a PC Client firmware log is tens of KiB).
inline constexpr std::size_t kMaxEventLogSize = 2 * 1024 * 1024;

// Evidence layout (trustee deps/verifier/src/tpm, guest-components attester/src/tpm):
//   {"ak_public": "<base64 DER SubjectPublicKeyInfo>",
//    "tpm_quote": {"message": "<base64 TPMS_ATTEST>",
//                  "signature": "<base64 TPMT_SIGNATURE>",
//                  "pcrs": ["<hex SHA-256 PCR0>", ..., "<hex PCR23>"]},
//    "ak_cert_chain": ["<base64 DER AK certificate>", "<base64 DER intermediate>", ...],
//    "eventlog": "<base64 TCG PC Client crypto-agile event log>"}
// ak_cert_chain and eventlog are cocoon extensions and optional; other members are refused.
struct TpmEvidence {
  std::string ak_public_b64;  // as received, for the ak_public claim
  Bytes ak_public_der;
  Bytes message;            // TPMS_ATTEST, exactly as signed
  Bytes signature;          // TPMT_SIGNATURE
  std::vector<Bytes> pcrs;  // kPcrCount values of kSha256Size bytes
  std::vector<Bytes> ak_cert_chain;
  std::optional<Bytes> event_log;
};

// Decodes `evidence`. kInvalidArgument naming the member for a wrong type, a missing or
// unknown member, bad base64/hex, a PCR list that is not kPcrCount values of 32 bytes, or
// a size above its cap.
Result<TpmEvidence> parseTpmEvidence(const json::Json& evidence);

}  // namespace cocoon::verify::tpm
