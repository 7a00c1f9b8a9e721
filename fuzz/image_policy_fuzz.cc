// SPDX-License-Identifier: Apache-2.0
// Fuzzes containers-policy.json parsing (then scope lookup and requirement descriptions on
// what parsed) and containers-registries.d YAML parsing on the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/trust/policy.h"
#include "image/trust/registries_d.h"

namespace trust = cocoon::image::trust;
using cocoon::Code;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = cocoon::image::oci::parseReference("a.b.example.com:5000/ns/repo:v1");
  if (!ref) {
    std::abort();
  }
  trust::RegistriesD config;
  auto yaml = trust::parseRegistriesDYaml(text, "fuzz.yaml", config);
  if (yaml) {
    (void)trust::lookasideFor(config, *ref);
    (void)trust::useSigstoreAttachments(config, *ref);
  } else if (yaml.error().code != Code::kInvalidArgument) {
    std::abort();
  }
  auto policy = trust::parsePolicy(text);
  if (!policy) {
    const Code c = policy.error().code;
    if (c != Code::kInvalidArgument && c != Code::kUnimplemented && c != Code::kResourceExhausted) {
      std::abort();
    }
    return 0;
  }
  auto match = trust::findRequirements(*policy, trust::kDockerTransport, trust::dockerScopes(*ref));
  if (match.requirements == nullptr || match.requirements->empty()) {
    std::abort();  // every scope has at least one requirement, and default always exists
  }
  for (const auto& r : *match.requirements) {
    (void)r.describe();
  }
  return 0;
}
