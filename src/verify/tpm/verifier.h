// SPDX-License-Identifier: Apache-2.0
// The `tpm` TEE verifier: a TPM 2.0 quote over the SHA-256 PCR bank, signed by a trusted AK.
//
// Trust: the evidence (see tpm/evidence.h) is attacker-controlled. The AK public key in it
// is trusted only when it is registered or certified by a configured CA; the quote only
// after its signature verifies with that key; the PCR values only as far as they hash to
// the signed pcrDigest.
#pragma once

#include "verify/builtin.h"
#include "verify/verifier.h"

namespace cocoon::verify::tpm {

// Verification steps, in order, and the reason each failure reports:
//  1. decode the JSON and the TPM structures         kMalformedEvidence
//     (an attestation type, signature scheme, hash or
//     PCR bank other than SHA-256 we do not accept)  kUnsupportedEvidence
//  2. AK trust: registered key, or ak_cert_chain to a
//     configured CA (no path / key differs)          kUntrustedKey
//     (expired, not yet valid, otherwise invalid)    kCertificateInvalid
//  3. signature over the exact TPMS_ATTEST bytes      kBadSignature
//  4. extraData == Expectations::report_data, resized
//     to the extraData length, which must be 32
//     (current attester) or 64 (attesters before
//     2025-08) bytes                                 kReportDataMismatch
//  5. pcrDigest == H(selected PCR values in order)    kMeasurementMismatch
//  6. init data: PCR8 == SHA-256(32 zero bytes ||
//     init-data digest), when a digest is expected   kInitDataMismatch
//  7. event log replay (when the evidence has one)    kEventLogMismatch
// Claims: report_data (hex extraData), init_data (hex PCR8), ak_public (base64 DER as
// received), tpm.pcr00..tpm.pcr23 (hex) for the quoted PCRs only. Immutable, thread-safe.
class TpmVerifier final : public Verifier {
 public:
  explicit TpmVerifier(TpmTrustConfig trust);
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kTpm; }
  Result<VerifiedEvidence, VerifyFailure> verify(const json::Json& evidence,
                                                 const Expectations& expected) const override;

 private:
  // Parses ak_public, or returns the registered key whose SPKI is exactly these bytes:
  // parsing and checking an RSA key costs more than the rest of the verification.
  Result<crypto::Key> akFromDer(ByteSpan der) const;

  TpmTrustConfig trust_;
  std::vector<Bytes> trusted_ak_der_;  // trust_.trusted_aks[i].publicDer()
};

}  // namespace cocoon::verify::tpm
