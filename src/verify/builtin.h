// SPDX-License-Identifier: Apache-2.0
// The verifiers built into cocoon (sample, tpm), their trust configuration and explicit
// registration (STYLE.md §6: main calls registerBuiltinVerifiers, no static initializers).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "verify/tdx/config.h"
#include "verify/verifier.h"

namespace cocoon::http {
class HttpClient;
}  // namespace cocoon::http

namespace cocoon::verify {

// Which TPM attestation keys (AKs) the `tpm` verifier trusts. An AK is trusted when its
// public key equals one of `trusted_aks`, or when the evidence carries an AK certificate
// (optional evidence member "ak_cert_chain") whose key is the AK and which chains to one of
// `ak_ca_certificates` at Expectations::now. With both lists empty no evidence verifies.
struct TpmTrustConfig {
  std::vector<crypto::Key> trusted_aks;
  // EK/AK CA certificates (trust anchors: roots, or pinned intermediates).
  std::vector<crypto::Certificate> ak_ca_certificates;
};

// What the `snp` verifier trusts and where it finds VCEKs. AMD's ARK, ASK and ASVK of
// Milan, Genoa and Turin are pinned in the binary (docs/evidence.md).
struct SnpTrustConfig {
  // Offline VCEK cache: vcek/<hwid>/<tcb prefix>_vcek.der, then vcek/<hwid>/vcek.der,
  // consulted when the evidence carries no VCEK. Empty: no cache.
  std::filesystem::path cache_dir;
  // Non-null allows fetching missing VCEKs from AMD KDS through this client; fetched
  // VCEKs are stored in cache_dir (when set). Not owned; must outlive the verifier.
  http::HttpClient* kds_client = nullptr;
  std::string kds_url = "https://kdsintf.amd.com";
  // Guests whose policy allows debugging (policy bit 19) are refused with
  // kUnsupportedEvidence unless this is set (their memory is readable by the host).
  bool allow_debug = false;
};

struct BuiltinVerifierConfig {
  // The `sample` TEE proves nothing (its evidence is unsigned JSON); development only.
  bool enable_sample = false;
  // The `tpm` verifier is always registered; it trusts only what this names.
  TpmTrustConfig tpm;
  // The `snp` verifier is always registered.
  SnpTrustConfig snp;
  // The `tdx` verifier is always registered (Intel SGX Root CA pinned; docs/evidence-tdx.md).
  TdxTrustConfig tdx;
};

// Adds the built-in verifiers to `registry`: `tpm` always, `sample` only when
// config.enable_sample. Fails with kAlreadyExists when the registry already holds a
// verifier for one of those TEEs (nothing of this call is then rolled back).
Status registerBuiltinVerifiers(VerifierRegistry& registry, const BuiltinVerifierConfig& config);

}  // namespace cocoon::verify
