// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the shim reads from containerd: a bundle's config.json (runtime/shim/bundle.h)
// an exec's process JSON and an update's resources JSON, then the sandbox directory name of
// whatever id came out.
#include <cstdint>
#include <string_view>

#include "runtime/shim/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto info = cocoon::runtime::shim::parseBundleConfig(text, "fuzz-container");
  if (info) {
    (void)cocoon::runtime::shim::sandboxKey(info->sandbox_id);
  }
  (void)cocoon::runtime::shim::parseProcessJson(text);
  (void)cocoon::runtime::shim::parseResourcesJson(text);
  (void)cocoon::runtime::shim::sandboxKey(text);
  return 0;
}
