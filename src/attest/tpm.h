// SPDX-License-Identifier: Apache-2.0
// The TPM 2.0 attester: a restricted AK quotes the SHA-256 PCR bank over a TCTI.
//
// Trust: the TPM is trusted hardware (or the host's vTPM); nothing read from it is
// interpreted beyond marshalling it into evidence for the remote verifier.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attest/kbs_client/kbs_client.h"

namespace cocoon::attest {

enum class TpmAkType : std::uint8_t {
  kRsa2048,  // RSASSA-PKCS1-v1_5 with SHA-256
  kEccP256,  // ECDSA P-256 with SHA-256
};

enum class TpmHierarchy : std::uint8_t { kEndorsement, kOwner };

struct TpmAttesterConfig {
  // tpm2-tss TCTI configuration, e.g. "device:/dev/tpmrm0" or
  // "swtpm:host=127.0.0.1,port=2321".
  std::string tcti = "device:/dev/tpmrm0";
  TpmAkType ak_type = TpmAkType::kRsa2048;
  // The AK is the primary restricted signing key of this hierarchy for its template, so
  // it is the same key on every start of the same TPM (derived from the hierarchy seed).
  // Both hierarchies must have an empty authorization value.
  TpmHierarchy hierarchy = TpmHierarchy::kEndorsement;
  // report_data is zero-padded or truncated to this many bytes of qualifying data: 32 as
  // guest-components' TPM attester does since 79554cf8 (2025-08), 64 before; 1..64.
  std::size_t report_data_size = 32;
};

// A TPM attester. Evidence (the `tpm` TEE, see verify/tpm/evidence.h):
//   {"ak_public": base64 DER SPKI, "tpm_quote": {"message": base64 TPMS_ATTEST,
//    "signature": base64 TPMT_SIGNATURE, "pcrs": [24 hex SHA-256 PCR values]}}
// The quote covers SHA-256 PCRs 0-23; PCR values are read before and after the quote and
// the quote is retried (up to 3 times) when they changed in between, so the values match
// the quoted digest. The AK stays loaded as a transient object while the attester lives
// and is flushed by its destructor (the TCTI may reach a TPM without resource manager).
// Thread-safe: calls are serialized on one ESAPI context. The Attester interface is the
// one KbsClient::attest takes (attest/kbs_client).
class TpmAttester : public Attester {
 public:
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kTpm; }
  // The AK public key as DER SubjectPublicKeyInfo (to register it with a verifier).
  virtual Bytes akPublicDer() const = 0;
  // TPM2_PCR_Extend of SHA-256 PCR `index` (0..23) with a 32-byte digest.
  // kInvalidArgument for another index or size; kUnavailable when the TPM refuses.
  virtual Status extendPcr(unsigned index, ByteSpan sha256_digest) = 0;
  // Binds the init-data digest: extendPcr(8, digest), as guest-components does, so that
  // SHA-256 PCR 8 = SHA-256(32 zero bytes || digest). Idempotent within a boot: when PCR 8
  // already holds that value nothing is extended (a restarted agent). Errors:
  // kInvalidArgument unless the digest is 32 bytes (SHA-256 init-data);
  // kFailedPrecondition when PCR 8 holds anything else (extended by someone else, or for
  // other init-data); kUnavailable when the TPM refuses.
  virtual Status bindInitData(ByteSpan init_data_digest) = 0;
  // evidence(): kUnavailable when the TPM fails a command (the message has the TSS decode
  // of its response code), kAborted when the PCRs kept changing during the quote.
};

// Connects to the TPM and creates (derives) the AK. kInvalidArgument for a bad
// report_data_size; kUnavailable when the TCTI cannot be loaded or connected or the TPM
// refuses CreatePrimary (e.g. a hierarchy with a non-empty authorization).
Result<std::unique_ptr<TpmAttester>> createTpmAttester(const TpmAttesterConfig& config);

}  // namespace cocoon::attest
