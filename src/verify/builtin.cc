// SPDX-License-Identifier: Apache-2.0
// Explicit registration of the built-in verifiers.
#include "verify/builtin.h"

#include "verify/sample/verifier.h"
#include "verify/tpm/verifier.h"

namespace cocoon::verify {

Status registerBuiltinVerifiers(VerifierRegistry& registry, const BuiltinVerifierConfig& config) {
  COCOON_TRY(registry.add(std::make_unique<tpm::TpmVerifier>(config.tpm)));
  if (config.enable_sample) {
    COCOON_TRY(registry.add(std::make_unique<sample::SampleVerifier>()));
  }
  return okStatus();
}

}  // namespace cocoon::verify
