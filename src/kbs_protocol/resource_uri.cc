// SPDX-License-Identifier: Apache-2.0
// Strict parsing of kbs:// resource URIs.
#include "kbs_protocol/resource_uri.h"

#include <charconv>
#include <cstdint>

namespace cocoon::kbs_protocol {
namespace {

constexpr std::string_view kScheme = "kbs";
constexpr std::string_view kSeparator = "://";
constexpr std::size_t kMaxPluginBytes = 64;
constexpr std::size_t kEchoBytes = 64;

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isPluginChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// RFC 3986 unreserved characters; '%' and sub-delims are refused on purpose.
bool isSegmentChar(char c) {
  return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

template <class Pred>
bool all(std::string_view text, Pred pred) {
  for (char c : text) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}

Result<std::string> parsePlugin(std::string_view scheme) {
  if (scheme == kScheme) {
    return std::string(kDefaultPlugin);
  }
  if (scheme.substr(0, kScheme.size() + 1) != "kbs+") {
    return fail(Code::kInvalidArgument, "resource uri: scheme \"{}\" is not kbs[+<plugin>]",
                scheme.substr(0, kEchoBytes));
  }
  const std::string_view plugin = scheme.substr(kScheme.size() + 1);
  if (plugin.empty() || plugin.size() > kMaxPluginBytes || !all(plugin, isPluginChar)) {
    return fail(Code::kInvalidArgument, "resource uri: plugin \"{}\" is not [a-z0-9_-]+",
                plugin.substr(0, kEchoBytes));
  }
  return std::string(plugin);
}

Status checkPort(std::string_view port) {
  std::uint32_t value = 0;
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || port.size() > 5 || ec != std::errc() || ptr != end || value == 0 ||
      value > 65535) {
    return fail(Code::kInvalidArgument, "resource uri: port \"{}\" is not 1..65535",
                port.substr(0, kEchoBytes));
  }
  return okStatus();
}

Status checkAuthority(std::string_view authority) {
  if (authority.empty()) {
    return okStatus();
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (host.front() == '[') {
    // IPv6 literal: "[hex:hex...]" then an optional ":port".
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1 ||
        !all(host.substr(1, close - 1), [](char c) { return isAlnum(c) || c == ':'; })) {
      return fail(Code::kInvalidArgument, "resource uri: bad IPv6 host in \"{}\"",
                  authority.substr(0, kEchoBytes));
    }
    std::string_view rest = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return fail(Code::kInvalidArgument, "resource uri: bad authority \"{}\"",
                    authority.substr(0, kEchoBytes));
      }
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
      has_port = true;
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty() || !all(host, [](char c) { return isAlnum(c) || c == '.' || c == '-'; })) {
      return fail(Code::kInvalidArgument,
                  "resource uri: host \"{}\" has characters outside [A-Za-z0-9.-]",
                  host.substr(0, kEchoBytes));
    }
  }
  if (has_port) {
    COCOON_TRY(checkPort(port));
  }
  return okStatus();
}

}  // namespace

Result<ResourceUri> parseResourceUri(std::string_view uri) {
  if (uri.size() > kMaxResourceUriBytes) {
    return fail(Code::kResourceExhausted, "resource uri: {} bytes, at most {} allowed", uri.size(),
                kMaxResourceUriBytes);
  }
  const std::size_t scheme_end = uri.find(kSeparator);
  if (scheme_end == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "resource uri: no \"://\" after the scheme");
  }
  ResourceUri out;
  COCOON_ASSIGN_OR_RETURN(out.plugin, parsePlugin(uri.substr(0, scheme_end)));
  const std::string_view rest = uri.substr(scheme_end + kSeparator.size());
  const std::size_t path_start = rest.find('/');
  if (path_start == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "resource uri: no path after the authority");
  }
  const std::string_view authority = rest.substr(0, path_start);
  COCOON_TRY(checkAuthority(authority));
  out.authority = std::string(authority);
  std::string_view path = rest.substr(path_start + 1);
  while (true) {
    const std::size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    const std::size_t index = out.segments.size();
    if (index == kMaxResourceSegments) {
      return fail(Code::kResourceExhausted, "resource uri: more than {} path segments",
                  kMaxResourceSegments);
    }
    if (segment.empty()) {
      return fail(Code::kInvalidArgument, "resource uri: path segment {} is empty", index);
    }
    if (segment == "." || segment == "..") {
      return fail(Code::kInvalidArgument, "resource uri: path segment {} is \"{}\"", index,
                  segment);
    }
    if (!all(segment, isSegmentChar)) {
      return fail(Code::kInvalidArgument,
                  "resource uri: path segment {} has characters outside [A-Za-z0-9._~-]", index);
    }
    out.segments.emplace_back(segment);
    if (slash == std::string_view::npos) {
      break;
    }
    path = path.substr(slash + 1);
  }
  return out;
}

std::string formatResourceUri(const ResourceUri& uri) {
  std::string out(kScheme);
  if (uri.plugin != kDefaultPlugin) {
    out += '+';
    out += uri.plugin;
  }
  out += kSeparator;
  out += uri.authority;
  for (const std::string& segment : uri.segments) {
    out += '/';
    out += segment;
  }
  return out;
}

std::string resourcePath(const ResourceUri& uri) {
  std::string out = "/kbs/v0/" + uri.plugin;
  for (const std::string& segment : uri.segments) {
    out += '/';
    out += segment;
  }
  return out;
}

}  // namespace cocoon::kbs_protocol
