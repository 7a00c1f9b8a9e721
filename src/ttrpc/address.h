// SPDX-License-Identifier: Apache-2.0
// Address: where a ttrpc peer listens — a unix socket, an AF_VSOCK port, or a character
// device (a virtio-serial port in the guest, a pty in tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cocoon::ttrpc {

struct Address {
  enum class Kind : std::uint8_t { kUnix, kVsock, kSerial };
  Kind kind = Kind::kUnix;
  std::string path;        // kUnix, kSerial
  std::uint32_t cid = 0;   // kVsock: context id (2 = host, 1 = local loopback)
  std::uint32_t port = 0;  // kVsock

  // The form parseAddress accepts, e.g. "vsock:3:1024".
  std::string toString() const;
};

// Parses "unix:PATH", "vsock:CID:PORT" (decimal u32s) or "serial:PATH".
// Errors: kInvalidArgument naming the text for an unknown scheme, an empty path, a unix
// path longer than sockaddr_un allows (107 bytes), or a CID/port that is not a decimal
// u32.
Result<Address> parseAddress(std::string_view text);

}  // namespace cocoon::ttrpc
