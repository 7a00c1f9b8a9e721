// SPDX-License-Identifier: Apache-2.0
// The verifiers built into cocoon (sample, tpm), their trust configuration and explicit
// registration (STYLE.md §6: main calls registerBuiltinVerifiers, no static initializers).
#pragma once

#include <vector>

#include "common/result.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "verify/verifier.h"

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

struct BuiltinVerifierConfig {
  // The `sample` TEE proves nothing (its evidence is unsigned JSON); development only.
  bool enable_sample = false;
  // The `tpm` verifier is always registered; it trusts only what this names.
  TpmTrustConfig tpm;
};

// Adds the built-in verifiers to `registry`: `tpm` always, `sample` only when
// config.enable_sample. Fails with kAlreadyExists when the registry already holds a
// verifier for one of those TEEs (nothing of this call is then rolled back).
Status registerBuiltinVerifiers(VerifierRegistry& registry, const BuiltinVerifierConfig& config);

}  // namespace cocoon::verify
