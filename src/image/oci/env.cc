// SPDX-License-Identifier: Apache-2.0
// The process environment behind EnvLookup.
#include "image/oci/env.h"

#include <cstdlib>

namespace cocoon::image::oci {

std::optional<std::string> processEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace cocoon::image::oci
