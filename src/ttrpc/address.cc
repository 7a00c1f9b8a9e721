// SPDX-License-Identifier: Apache-2.0
// Address parsing and printing.
#include "ttrpc/address.h"

#include <sys/un.h>

#include <charconv>

#include <fmt/format.h>

namespace cocoon::ttrpc {
namespace {

Result<std::uint32_t> parseU32(std::string_view text, std::string_view what) {
  std::uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return fail(Code::kInvalidArgument, "vsock {} '{}' is not a decimal u32", what, text);
  }
  return value;
}

}  // namespace

std::string Address::toString() const {
  switch (kind) {
    case Kind::kUnix:
      return "unix:" + path;
    case Kind::kVsock:
      return fmt::format("vsock:{}:{}", cid, port);
    case Kind::kSerial:
      return "serial:" + path;
  }
  return "?";
}

Result<Address> parseAddress(std::string_view text) {
  Address a;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(Code::kInvalidArgument,
                "address '{}' has no scheme (expected unix:PATH, vsock:CID:PORT or serial:PATH)",
                text);
  }
  const std::string_view scheme = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  if (scheme == "vsock") {
    const auto sep = rest.find(':');
    if (sep == std::string_view::npos) {
      return fail(Code::kInvalidArgument, "vsock address '{}' lacks :PORT", text);
    }
    a.kind = Address::Kind::kVsock;
    COCOON_ASSIGN_OR_RETURN(a.cid, parseU32(rest.substr(0, sep), "cid"));
    COCOON_ASSIGN_OR_RETURN(a.port, parseU32(rest.substr(sep + 1), "port"));
    return a;
  }
  if (scheme == "unix") {
    a.kind = Address::Kind::kUnix;
  } else if (scheme == "serial") {
    a.kind = Address::Kind::kSerial;
  } else {
    return fail(Code::kInvalidArgument, "address '{}': unknown scheme '{}'", text, scheme);
  }
  if (rest.empty()) {
    return fail(Code::kInvalidArgument, "address '{}' has an empty path", text);
  }
  if (a.kind == Address::Kind::kUnix && rest.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail(Code::kInvalidArgument, "unix socket path of {} bytes exceeds {}", rest.size(),
                sizeof(sockaddr_un::sun_path) - 1);
  }
  a.path = std::string(rest);
  return a;
}

}  // namespace cocoon::ttrpc
