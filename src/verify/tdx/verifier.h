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

#include <memory>
#include <optional>

#include "verify/internal/lru_cache.h"
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
// tdx.uefi_event_logs when the evidence has an event log. Thread-safe.
//
// What is the same for every quote of a platform is verified once and remembered in
// bounded LRU caches (kMaxCachedPlatforms entries each), keyed by the SHA-256 of the exact
// bytes checked: PCK chains (step 3, reused only while Expectations::now lies inside every
// certificate's validity), parsed CRL sets and their verdict on a chain (CRL currency is
// re-checked against now on every call), the QE report and attestation-key binding of a
// PCK key (steps 4-5), and signature-checked TCB info + QE identity (step 7, dates
// re-checked). A miss re-runs the full check, so failures read exactly as without caches;
// per quote only the quote signature (step 6) and steps 7-11 are computed.
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
  static constexpr std::size_t kMaxCachedPlatforms = 256;
  struct VerifiedChain;
  struct CrlSet;
  struct CrlVerdict;
  struct VerifiedCollateral;
  using Key = internal::CacheKey;
  template <class V>
  using Cache = internal::LruCache<Key, V>;

  Result<std::shared_ptr<const VerifiedChain>, VerifyFailure> pckChain(ByteSpan pem,
                                                                       TimePoint now) const;
  Result<std::shared_ptr<const CrlSet>, VerifyFailure> crlSet(const RawCollateral& raw) const;
  Result<void, VerifyFailure> checkRevocation(const VerifiedChain& chain, const CrlSet& crls,
                                              TimePoint now) const;
  Result<std::shared_ptr<const crypto::Key>, VerifyFailure> attestationKey(
      const TdxQuote& quote, const VerifiedChain& chain) const;
  Result<std::shared_ptr<const VerifiedCollateral>, VerifyFailure> collateral(
      const RawCollateral& raw, TimePoint now) const;

  TdxTrustConfig trust_;
  std::unique_ptr<CollateralSource> collateral_;              // null without collateral_dir
  Result<crypto::Key> signer_key_;                            // trust_.tcb_signing_certificate's
  mutable Cache<VerifiedChain> chains_{kMaxCachedPlatforms};  // PCK and TCB Signing chains
  mutable Cache<CrlSet> crl_sets_{kMaxCachedPlatforms};
  mutable Cache<CrlVerdict> crl_verdicts_{kMaxCachedPlatforms};
  mutable Cache<crypto::Key> attestation_keys_{kMaxCachedPlatforms};
  mutable Cache<VerifiedCollateral> collaterals_{kMaxCachedPlatforms};
};

}  // namespace cocoon::verify::tdx
