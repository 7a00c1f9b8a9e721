// SPDX-License-Identifier: Apache-2.0
// The distribution/reference name grammar pieces shared by reference parsing and
// registries.conf locations. Private to image/oci.
#pragma once

#include <string_view>

#include "common/result.h"

namespace cocoon::image::oci::internal {

// domain-name: dot-separated [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? components (no port).
bool isHostName(std::string_view host);

// domain := (domain-name | "[" [a-fA-F0-9:]+ "]") [":" [0-9]+]. kInvalidArgument otherwise.
Status validateRegistry(std::string_view registry);

// path := component ("/" component)*, component := [a-z0-9]+ ([._]|__|-+ [a-z0-9]+)*.
// kInvalidArgument "repository name must be lowercase" or naming the bad component.
Status validatePath(std::string_view path);

}  // namespace cocoon::image::oci::internal
