// SPDX-License-Identifier: Apache-2.0
// Explicit registration of the built-in verifiers.
#include "verify/builtin.h"

#include "verify/sample/verifier.h"
#include "verify/snp/verifier.h"
#include "verify/tdx/verifier.h"
#include "verify/tpm/verifier.h"

namespace cocoon::verify {

Status registerBuiltinVerifiers(VerifierRegistry& registry, const BuiltinVerifierConfig& config) {
  COCOON_TRY(registry.add(std::make_unique<tpm::TpmVerifier>(config.tpm)));
  COCOON_TRY(registry.add(std::make_unique<snp::SnpVerifier>(config.snp)));
  COCOON_TRY(registry.add(std::make_unique<tdx::TdxVerifier>(config.tdx)));
  if (config.enable_sample) {
    COCOON_TRY(registry.add(std::make_unique<sample::SampleVerifier>()));
  }
  return okStatus();
}

}  // namespace cocoon::verify
