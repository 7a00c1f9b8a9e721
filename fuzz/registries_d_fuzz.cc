// SPDX-License-Identifier: Apache-2.0
// Fuzzes the containers-registries.d(5) YAML parser (image/trust/registries_d.h), then the
// lookups over whatever configuration it accepted.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/oci/reference.h"
#include "image/trust/registries_d.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cocoon::image::trust::RegistriesD config;
  if (!cocoon::image::trust::parseRegistriesDYaml(text, "fuzz.yaml", config)) {
    return 0;
  }
  // A second document may not redefine what the first defined.
  (void)cocoon::image::trust::parseRegistriesDYaml(text, "again.yaml", config);
  auto ref = cocoon::image::oci::parseReference("registry.example/ns/app:1");
  if (!ref) {
    std::abort();
  }
  (void)cocoon::image::trust::lookasideFor(config, *ref);
  (void)cocoon::image::trust::lookasideFor(config, *ref, true);
  (void)cocoon::image::trust::useSigstoreAttachments(config, *ref);
  return 0;
}
