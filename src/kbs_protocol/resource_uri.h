// SPDX-License-Identifier: Apache-2.0
// KBS resource URIs, kbs[+<plugin>]://[host[:port]]/<seg>/<seg>/... (PROTOCOLS.md §1.6;
// guests use kbs:///<repo>/<type>/<tag>), and the KBS HTTP path they map to.
// Trust: parseResourceUri takes URIs from pod specs and image annotations (untrusted
// host input); segments end up in an HTTP path and, on the KBS, in storage lookups, so
// anything that could change the path's meaning is refused rather than normalized.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::kbs_protocol {

inline constexpr std::string_view kDefaultPlugin = "resource";
inline constexpr std::size_t kMaxResourceUriBytes = 1024;
inline constexpr std::size_t kMaxResourceSegments = 16;

struct ResourceUri {
  std::string plugin{kDefaultPlugin};  // [a-z0-9_-]+
  std::string authority;               // "" (the configured KBS), "host" or "host:port"
  std::vector<std::string> segments;   // each [A-Za-z0-9._~-]+, never "." or ".."
};

// Parses a resource URI. Fails with kResourceExhausted past kMaxResourceUriBytes or
// kMaxResourceSegments segments, and with kInvalidArgument for another scheme, a bad
// plugin name, userinfo or a bad host or port, no path, empty segments ("a//b", a
// trailing "/"), "." or "..", '%' (percent-encoding is not decoded, so it is refused),
// a query or fragment, or any character outside the ones above.
Result<ResourceUri> parseResourceUri(std::string_view uri);

// The URI text: "kbs://" for the default plugin, else "kbs+<plugin>://".
std::string formatResourceUri(const ResourceUri& uri);

// The KBS HTTP path, "/kbs/v0/<plugin>/<seg>/<seg>/...".
std::string resourcePath(const ResourceUri& uri);

}  // namespace cocoon::kbs_protocol
