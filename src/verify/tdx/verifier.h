// SPDX-License-Identifier: Apache-2.0
// The `tdx` TEE verifier: an Intel TDX DCAP quote (v4/v5) signed by an attestation key
// that Intel's quoting enclave certified, chained to the pinned Intel SGX Root CA, judged
// against Intel PCS collateral, with the guest's CCEL event log replayed into the RTMRs.
//
// Trust: the evidence is attacker-controlled. The PCK chain is trusted only up to the
// configured root (Intel's, pinned); the QE report only after the PCK key's signature; the
// attestation key only through the QE report's binding; the quote body only after the
// attestation key's signature; the event log only as far as it replays to the RTMRs.
#pragma once

#include <optional>

#include "verify/tdx/collateral.h"
#include "verify/tdx/config.h"
#include "verify/verifier.h"

namespace cocoon::verify::tdx {

// Verification steps, in order, and the reason each failure reports:
//  1. decode {"quote": base64, "cc_eventlog": base64?}       kMalformedEvidence
//  2. parse the quote (A.3) / allow-list (v4/v5, ECDSA P-256,
//     TDX, Intel QE, certification data 6 wrapping 5)       kMalformedEvidence /
//                                                            kUnsupportedEvidence
//  3. PCK chain (leaf, Platform/Processor CA, root) to the
//     root CA at Expectations::now: no path / bad signature kUntrustedKey
//     expired, not yet valid, revoked by a collateral CRL,
//     or no SGX extension                                   kCertificateInvalid
//  4. QE report signature by the PCK key (ECDSA P-256)      kBadSignature
//  5. QE report_data[0..32] == SHA-256(attestation key ||
//     QE auth data), rest zero                              kUntrustedKey
//  6. quote signature by the attestation key over the
//     header and body bytes as received                     kBadSignature
//  7. collateral (when configured and present for the
//     FMSPC): TCB Signing chain, signatures, issue/next
//     update dates vs now, FMSPC/PCE-ID match, QE identity  kCertificateInvalid
//     TCB status Revoked, or no matching TCB level          kTcbOutOfDate
//     (no collateral and require_collateral)                kCertificateInvalid
//  8. TD attributes DEBUG bit (unless allow_debug)          kUnsupportedEvidence
//  9. report_data == Expectations::report_data zero-padded
//     or truncated to 64 bytes                              kReportDataMismatch
// 10. init data: mr_config_id == the init-data digest
//     zero-padded / truncated to 48 bytes (CoCo's rule)     kInitDataMismatch
// 11. CCEL: parse, then replay RTMR0-3 == the quote's       kMalformedEvidence /
//                                                            kEventLogMismatch
// Claims: report_data, init_data (hex mr_config_id), tdx.quote.header.*, tdx.quote.body.*
// (v5: tdx.quote.type, tdx.quote.size) as trustee names them (hex of the bytes as in
// the quote), tdx.td_attributes.{debug,septve_disable,protection_keys,key_locker,perfmon},
// tdx.platform_instance_id (Platform CA PCKs), tdx.fmspc, tdx.pce_id, tdx.tcb_status
// (UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded,
// OutOfDate, OutOfDateConfigurationNeeded, or Unknown without collateral),
// tdx.advisory_ids, tdx.collateral.{tcb_evaluation_data_number,next_update}, and
// tdx.uefi_event_logs when the evidence has an event log. Immutable, thread-safe.
class TdxVerifier final : public Verifier {
 public:
  explicit TdxVerifier(TdxTrustConfig trust);
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kTdx; }
  Result<VerifiedEvidence, VerifyFailure> verify(const json::Json& evidence,
                                                 const Expectations& expected) const override;
  // Steps 2-11 on a raw quote and an optional raw CCEL (for `cocoon evidence verify` on a
  // quote file).
  Result<VerifiedEvidence, VerifyFailure> verifyQuote(ByteSpan quote, std::optional<ByteSpan> ccel,
                                                      const Expectations& expected) const;

 private:
  TdxTrustConfig trust_;
  std::unique_ptr<CollateralSource> collateral_;  // null without collateral_dir
};

}  // namespace cocoon::verify::tdx
