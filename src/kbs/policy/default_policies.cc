// SPDX-License-Identifier: Apache-2.0
// The built-in attestation and resource policies, written in the policy language itself
// so that `cocoon kbs policy-check` can explain them like any admin policy.
#include "kbs/policy/policy.h"

namespace cocoon::kbs::policy {

std::string_view defaultAttestationPolicyText() {
  // A verifier returns claims only after checking the evidence's signature chain, so a
  // hardware TEE's claims are from genuine hardware (AR4SI hardware 2). Memory-encrypting
  // CPU TEEs also earn runtime-opaque 2. Sample evidence proves nothing: 96 for both.
  // Executables and configuration are left to owner policies with reference values.
  return R"json({
  "version": 1,
  "id": "default",
  "description": "hardware per TEE; sample evidence contraindicated",
  "rules": [
    {"id": "sample-tee",
     "when": {"in": [{"claim": "/tee"}, ["sample", "sampledevice"]]},
     "set": {"hardware": 96, "runtime-opaque": 96}},
    {"id": "memory-encrypting-tee",
     "when": {"in": [{"claim": "/tee"},
                     ["tdx", "sgx", "snp", "az-snp-vtpm", "az-tdx-vtpm", "cca", "csv", "se"]]},
     "set": {"hardware": 2, "runtime-opaque": 2}},
    {"id": "device-tee",
     "when": {"in": [{"claim": "/tee"}, ["tpm", "nvidia", "hygondcu"]]},
     "set": {"hardware": 2}}
  ],
  "default": {"hardware": 97}
})json";
}

std::string_view defaultResourcePolicyText() {
  return R"json({
  "version": 1,
  "id": "default-resource",
  "description": "release resources to attested hardware TEEs only",
  "rules": [
    {"id": "deny-sample",
     "when": {"any": [{"exists": "sample"}, {"exists": "sampledevice"},
                      {"eq": [{"claim": "/token/submods/cpu0/cocoon.development-only"}, true]}]},
     "deny": "evidence from the sample TEE proves nothing (development only)"},
    {"id": "deny-contraindicated",
     "when": {"eq": [{"claim": "/token/submods/cpu0/ear.status"}, "contraindicated"]},
     "deny": "the attestation appraisal is contraindicated"}
  ],
  "default": "allow"
})json";
}

std::string_view developmentResourcePolicyText() {
  return R"json({
  "version": 1,
  "id": "development-resource",
  "description": "--allow-sample: sample evidence gets resources; never use in production",
  "rules": [
    {"id": "allow-sample",
     "when": {"any": [{"exists": "sample"}, {"exists": "sampledevice"},
                      {"eq": [{"claim": "/token/submods/cpu0/cocoon.development-only"}, true]}]},
     "allow": "development mode accepts sample evidence"},
    {"id": "deny-contraindicated",
     "when": {"eq": [{"claim": "/token/submods/cpu0/ear.status"}, "contraindicated"]},
     "deny": "the attestation appraisal is contraindicated"}
  ],
  "default": "allow"
})json";
}

}  // namespace cocoon::kbs::policy
