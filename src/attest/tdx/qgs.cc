// SPDX-License-Identifier: Apache-2.0
// QGS transport: vsock connection, framed write, framed read, one deadline.
#include "attest/tdx/qgs.h"

#include <linux/vm_sockets.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "attest/tdx/messages.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::attest::tdx {
namespace {

using Clock = std::chrono::steady_clock;

Status waitFor(int fd, short events, Clock::time_point deadline, std::string_view what) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(Code::kDeadlineExceeded, "QGS did not {} in time", what);
    }
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc > 0) {
      return okStatus();
    }
    if (rc < 0 && errno != EINTR) {
      const int err = errno;
      return fail(errnoError(err, "polling the QGS socket"));
    }
  }
}

Status sendAll(int fd, ByteSpan data, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    COCOON_TRY(waitFor(fd, POLLOUT, deadline, "accept the request"));
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      const int err = errno;
      return fail(Code::kUnavailable, "sending to the QGS: {}", errnoError(err, "send").message);
    }
    done += static_cast<std::size_t>(n);
  }
  return okStatus();
}

Status receiveAll(int fd, std::span<std::uint8_t> out, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < out.size()) {
    COCOON_TRY(waitFor(fd, POLLIN, deadline, "answer"));
    const ssize_t n = ::recv(fd, out.data() + done, out.size() - done, 0);
    if (n == 0) {
      return fail(Code::kUnavailable, "the QGS closed the connection after {} of {} bytes", done,
                  out.size());
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      const int err = errno;
      return fail(Code::kUnavailable, "reading from the QGS: {}", errnoError(err, "recv").message);
    }
    done += static_cast<std::size_t>(n);
  }
  return okStatus();
}

}  // namespace

Result<Bytes> exchangeQgsMessage(int fd, ByteSpan framed_request,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  COCOON_TRY(sendAll(fd, framed_request, deadline));
  std::array<std::uint8_t, 4> prefix{};
  COCOON_TRY(receiveAll(fd, prefix, deadline));
  const std::uint32_t length = (std::uint32_t{prefix[0]} << 24) | (std::uint32_t{prefix[1]} << 16) |
                               (std::uint32_t{prefix[2]} << 8) | prefix[3];
  if (length > kMaxQgsMessageBytes) {
    return fail(Code::kResourceExhausted, "the QGS announced a {}-byte answer, the limit is {}",
                length, kMaxQgsMessageBytes);
  }
  Bytes message(length);
  COCOON_TRY(receiveAll(fd, message, deadline));
  return message;
}

Result<Bytes> askQgsOverVsock(std::uint32_t cid, std::uint32_t port, ByteSpan framed_request,
                              std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    const int err = errno;
    return fail(Code::kUnavailable, "QGS vsock {}:{}: {}", cid, port,
                errnoError(err, "socket").message);
  }
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_cid = cid;
  address.svm_port = port;
  const auto deadline = Clock::now() + timeout;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) {
      const int err = errno;
      return fail(Code::kUnavailable, "QGS vsock {}:{}: {}", cid, port,
                  errnoError(err, "connect").message);
    }
    COCOON_TRY(waitFor(fd.get(), POLLOUT, deadline, "accept the connection"));
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      return fail(Code::kUnavailable, "QGS vsock {}:{}: {}", cid, port,
                  errnoError(so_error, "connect").message);
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return exchangeQgsMessage(fd.get(), framed_request, left);
}

}  // namespace cocoon::attest::tdx
