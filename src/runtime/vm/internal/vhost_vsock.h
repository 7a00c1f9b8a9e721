// SPDX-License-Identifier: Apache-2.0
// The host side of the vsock agent channel: reserving a guest CID on /dev/vhost-vsock, and
// connecting to the agent's port once the guest listens.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::runtime::vm::internal {

struct ReservedCid {
  UniqueFd device;  // the /dev/vhost-vsock file holding the CID: QEMU gets it as vhostfd
  std::uint32_t cid = 0;
};

// Opens `device` and claims a free guest CID on it (VHOST_VSOCK_SET_GUEST_CID), starting
// from a random one in kMinGuestCid..2^31 and trying up to 64: another VM may hold a CID,
// and the kernel answers EADDRINUSE for it. The CID is the caller's until `device` closes.
// Errors: kUnavailable naming the device when it cannot be opened (no vhost_vsock module:
// the virtio-serial channel works without it) or every CID tried is taken; the ioctl's
// errno code otherwise.
Result<ReservedCid> reserveGuestCid(const std::filesystem::path& device = "/dev/vhost-vsock");

// Connects to `cid`:`port` over AF_VSOCK, giving the connect at most `timeout` (a guest
// that does not listen yet answers with a reset, or not at all while it boots).
// Errors: the errno code of socket/connect, with the address.
Result<UniqueFd> connectVsock(std::uint32_t cid, std::uint32_t port,
                              std::chrono::milliseconds timeout);

}  // namespace cocoon::runtime::vm::internal
