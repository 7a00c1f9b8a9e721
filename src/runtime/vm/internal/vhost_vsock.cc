// SPDX-License-Identifier: Apache-2.0
// CID reservation through the vhost-vsock ioctl, and AF_VSOCK connects with a timeout.
#include "runtime/vm/internal/vhost_vsock.h"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <random>

#include <fmt/format.h>

#include "common/sys_error.h"
#include "runtime/vm/vm_config.h"

namespace cocoon::runtime::vm::internal {

namespace {

constexpr int kCidAttempts = 64;
// VHOST_VSOCK_SET_GUEST_CID from <linux/vhost.h>: _IOW(VHOST_VIRTIO = 0xAF, 0x60, __u64).
// That header includes linux/virtio_ring.h, whose inline C does not compile as C++.
constexpr unsigned long kVhostVsockSetGuestCid = _IOW(0xAF, 0x60, std::uint64_t);

}  // namespace

Result<ReservedCid> reserveGuestCid(const std::filesystem::path& device) {
  ReservedCid out;
  out.device = UniqueFd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (!out.device.valid()) {
    const int err = errno;
    return fail(Code::kUnavailable,
                "the vsock agent channel needs {} (the host's vhost_vsock module): {}; "
                "agent_channel = \"virtio-serial\" works without it",
                device.string(), std::strerror(err));
  }
  std::random_device random;
  std::uniform_int_distribution<std::uint32_t> pick(kMinGuestCid, 0x7fffffff);
  std::uint32_t cid = pick(random);
  for (int attempt = 0; attempt < kCidAttempts; ++attempt, cid = pick(random)) {
    std::uint64_t wanted = cid;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl is the vhost API.
    if (::ioctl(out.device.get(), kVhostVsockSetGuestCid, &wanted) == 0) {
      out.cid = cid;
      return out;
    }
    if (errno != EADDRINUSE) {
      return fail(
          errnoError(errno, fmt::format("claiming guest CID {} on {}", cid, device.string())));
    }
  }
  return fail(Code::kUnavailable, "{} random guest CIDs on {} were all in use", kCidAttempts,
              device.string());
}

Result<UniqueFd> connectVsock(std::uint32_t cid, std::uint32_t port,
                              std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return fail(errnoError(errno, "vsock socket"));
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval tv{.tv_sec = micros / 1000000, .tv_usec = micros % 1000000};
  // Best effort: without it the kernel's default (2 s) applies.
  (void)::setsockopt(fd.get(), AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof tv);
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = cid;
  addr.svm_port = port;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return fail(errnoError(errno, fmt::format("connecting to vsock:{}:{}", cid, port)));
  }
  return fd;
}

}  // namespace cocoon::runtime::vm::internal
