// SPDX-License-Identifier: Apache-2.0
// distribution/reference name grammar (regexp.go), as a scanner.
#include "image/oci/internal/name_grammar.h"

#include <algorithm>

namespace cocoon::image::oci::internal {
namespace {

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isAlnum(char c) {
  return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool hasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool isPathComponent(std::string_view s) {
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < s.size() && isLowerAlnum(s[i])) {
      ++i;
    }
    if (i == start) {
      return false;
    }
    if (i == s.size()) {
      return true;
    }
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      i += (i + 1 < s.size() && s[i + 1] == '_') ? std::size_t{2} : std::size_t{1};
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
  }
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool isDomainComponent(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-'; });
}

}  // namespace

Status validatePath(std::string_view path) {
  if (hasUpper(path)) {
    return fail(Code::kInvalidArgument, "repository name must be lowercase");
  }
  std::size_t index = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view component = path.substr(start, slash - start);
    if (!isPathComponent(component)) {
      return fail(Code::kInvalidArgument,
                  "repository path component {} is not [a-z0-9] words joined by '.', '_', "
                  "'__' or '-'",
                  index);
    }
    if (slash == std::string_view::npos) {
      return okStatus();
    }
    start = slash + 1;
    ++index;
  }
}

bool isHostName(std::string_view host) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    if (!isDomainComponent(host.substr(start, dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// domain := (domain-name | "[" [a-fA-F0-9:]+ "]") [":" [0-9]+]
Status validateRegistry(std::string_view registry) {
  std::string_view host = registry;
  std::string_view port;
  bool has_port = false;
  if (!registry.empty() && registry.front() == '[') {
    const std::size_t close = registry.find(']');
    const std::string_view inside =
        close == std::string_view::npos ? std::string_view{} : registry.substr(1, close - 1);
    const bool hex_colons =
        !inside.empty() && std::all_of(inside.begin(), inside.end(), [](char c) {
          return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':';
        });
    if (!hex_colons) {
      return fail(Code::kInvalidArgument, "registry \"{}\" is not a valid [IPv6] address",
                  registry);
    }
    host = registry.substr(0, close + 1);
    const std::string_view rest = registry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return fail(Code::kInvalidArgument, "registry \"{}\" has junk after ']'", registry);
      }
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = registry.find(':');
    if (colon != std::string_view::npos) {
      host = registry.substr(0, colon);
      port = registry.substr(colon + 1);
      has_port = true;
    }
    if (!isHostName(host)) {
      return fail(Code::kInvalidArgument, "registry host \"{}\" is not a valid host name", host);
    }
  }
  if (has_port && (port.empty() || !std::all_of(port.begin(), port.end(), isDigit))) {
    return fail(Code::kInvalidArgument, "registry \"{}\" has a port that is not a number",
                registry);
  }
  return okStatus();
}

}  // namespace cocoon::image::oci::internal
