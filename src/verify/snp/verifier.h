// SPDX-License-Identifier: Apache-2.0
// The `snp` TEE verifier: an AMD SEV-SNP attestation report signed by a VCEK or VLEK that
// chains to AMD's root for the report's product.
//
// Trust: the evidence (see snp/evidence.h) is attacker-controlled. A VCEK/VLEK is trusted
// only after it chains to the pinned ARK through the pinned ASK/ASVK; the report only
// after its signature verifies with that key and its TCB matches the key's.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "crypto/x509.h"
#include "verify/builtin.h"
#include "verify/snp/report.h"
#include "verify/verifier.h"

namespace cocoon::verify::snp {

// Verification steps, in order, and the reason each failure reports:
//  1. decode the JSON, the report and any certificate table    kMalformedEvidence
//  2. SNP ABI Table 23 allow-lists: version 2, 3 or 5, signature
//     algorithm ECDSA P-384, SIGNING_KEY VCEK or VLEK, MASK_CHIP_KEY
//     clear, a known CPUID product (v3+); guest policy DEBUG clear
//     unless allow_debug                                        kUnsupportedEvidence
//  3. the VCEK/VLEK: from the evidence (entry of the report's signing
//     key kind), else (VCEK only) the cache, else KDS when allowed;
//     none found, or it does not chain to the product's pinned
//     ASK/ASVK and ARK (RSA-PSS)                                kUntrustedKey
//     (a certificate of the chain expired or not yet valid at
//     Expectations::now, or lacks the TCB extensions)           kCertificateInvalid
//  4. VCEK hwID (1.3.6.1.4.1.3704.1.4) == CHIP_ID, unless CHIP_ID is
//     masked (all zero)                                         kUntrustedKey
//  5. REPORTED_TCB == the key's SPL extensions (bl .3.1, tee .3.2,
//     snp .3.3, ucode .3.8, Turin fmc .3.9)                     kTcbOutOfDate
//  6. ECDSA P-384 SHA-384 signature over report bytes 0..0x29F  kBadSignature
//  7. REPORT_DATA == Expectations::report_data zero-padded (or
//     truncated) to 64 bytes                                    kReportDataMismatch
//  8. HOST_DATA == init-data digest zero-padded/truncated to 32
//     bytes, when a digest is expected                          kInitDataMismatch
// VMPL is not checked: it is a claim (snp.vmpl) for policy.
// Claims (lowercase hex for bytes): report_data, init_data (= HOST_DATA), snp.measurement,
// snp.host_data, snp.report_data, snp.version, snp.guest_svn, snp.policy (integer),
// snp.policy.{abi_major,abi_minor,smt,migrate_ma,debug,single_socket}, snp.vmpl,
// snp.family_id, snp.image_id, snp.id_key_digest, snp.author_key_digest, snp.report_id,
// snp.report_id_ma, snp.chip_id, snp.platform_info (integer),
// snp.platform_info.{smt_enabled,tsme_enabled}, snp.signing_key ("vcek"/"vlek"),
// snp.product, snp.{current,reported,committed,launch}_tcb.{bootloader,tee,snp,microcode
// [,fmc]}, snp.current_version / snp.committed_version ("major.minor.build"),
// snp.cpuid.{family,model,stepping} (v3+), snp.{launch,current}_mit_vector (v5).
// Thread-safe (a KDS client, when configured, must be thread-safe too). VCEK/VLEK chains
// that verified are remembered (at most kMaxCachedChains, keyed by the key's exact DER)
// and not verified again while Expectations::now lies inside every certificate's validity.
class SnpVerifier final : public Verifier {
 public:
  explicit SnpVerifier(SnpTrustConfig config);
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kSnp; }
  Result<VerifiedEvidence, VerifyFailure> verify(const json::Json& evidence,
                                                 const Expectations& expected) const override;

  // The pinned certificates of one product.
  struct VendorChain {
    crypto::Certificate ask;
    crypto::Certificate ark;
    crypto::Certificate asvk;
  };
  const VendorChain& vendorChain(Product product) const;

 private:
  static constexpr std::size_t kMaxCachedChains = 1024;
  struct CachedChain {
    crypto::Certificate leaf;
    std::optional<crypto::Key> key;  // leaf.publicKey(), parsed once
    bool vlek = false;
    Product product = Product::kMilan;
    crypto::TimePoint not_before;  // the latest notBefore of the chain
    crypto::TimePoint not_after;   // the earliest notAfter of the chain
  };
  // The entry of `der` when its chain verified before for this key kind and product
  // (any product when nullopt) and `now` is inside its validity window.
  std::optional<CachedChain> cachedChain(const Bytes& der, bool vlek,
                                         std::optional<Product> product,
                                         crypto::TimePoint now) const;
  void rememberChain(const std::vector<crypto::Certificate>& chain, bool vlek,
                     Product product) const;

  SnpTrustConfig config_;
  std::vector<VendorChain> vendor_;  // indexed by Product
  mutable std::mutex cache_mutex_;
  mutable std::map<Bytes, CachedChain> chain_cache_;
};

}  // namespace cocoon::verify::snp
