// SPDX-License-Identifier: Apache-2.0
// Environment lookup as a seam, so config path resolution is testable without setenv.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cocoon::image::oci {

// The value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the process environment (getenv). Not safe against a concurrent setenv.
std::optional<std::string> processEnv(std::string_view name);

}  // namespace cocoon::image::oci
