// SPDX-License-Identifier: Apache-2.0
// Headers lookup, safe path splitting and Response helpers.
#include "http/server/request.h"

#include <algorithm>
#include <cstdint>

namespace cocoon::http::server {
namespace {

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const char l = lowerAscii(c);
  if (l >= 'a' && l <= 'f') {
    return l - 'a' + 10;
  }
  return -1;
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowerAscii(x) == lowerAscii(y);
         });
}

void Headers::add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return equalsIgnoreCase(e.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (equalsIgnoreCase(n, name)) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(),
                    [&](const Entry& e) { return equalsIgnoreCase(e.first, name); }));
}

Result<std::vector<std::string>> splitPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail(Code::kInvalidArgument, "request path must start with '/' (offset 0)");
  }
  std::vector<std::string> segments;
  if (path.size() == 1) {
    return segments;
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view raw = path.substr(start, end - start);
    if (raw.empty()) {
      return fail(Code::kInvalidArgument, "empty path segment at offset {}", start);
    }
    if (raw == "." || raw == "..") {
      return fail(Code::kInvalidArgument, "dot segment '{}' at offset {}", raw, start);
    }
    std::string decoded;
    decoded.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const std::size_t at = start + i;
      char c = raw[i];
      if (c == '%') {
        const int hi = i + 2 < raw.size() ? hexValue(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? hexValue(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return fail(Code::kInvalidArgument, "malformed percent escape at offset {}", at);
        }
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
      const auto byte = static_cast<std::uint8_t>(c);
      // A decoded separator or control byte would let one segment pose as several, or
      // smuggle a terminator into a storage key.
      if (c == '/' || c == '\\' || byte < 0x20 || byte == 0x7f) {
        return fail(Code::kInvalidArgument, "forbidden byte 0x{:02x} in path segment at offset {}",
                    byte, at);
      }
      decoded.push_back(c);
    }
    if (decoded == "." || decoded == "..") {
      return fail(Code::kInvalidArgument, "encoded dot segment at offset {}", start);
    }
    segments.push_back(std::move(decoded));
    start = end + 1;
  }
  return segments;
}

Response Response::json(unsigned status, std::string text) {
  Response r{status, {}, std::move(text)};
  r.headers.add("Content-Type", "application/json");
  return r;
}

Response Response::text(unsigned status, std::string text) {
  Response r{status, {}, std::move(text)};
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  return r;
}

}  // namespace cocoon::http::server
