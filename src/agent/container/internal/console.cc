// SPDX-License-Identifier: Apache-2.0
// ConsoleSocket: bind/listen, then one non-blocking accept and recvmsg of SCM_RIGHTS.
#include "agent/container/internal/console.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/sys_error.h"

namespace cocoon::agent::container::internal {

Result<ConsoleSocket> ConsoleSocket::listen(std::filesystem::path path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof addr.sun_path) {
    return fail(Code::kInvalidArgument, "console socket path {} is longer than {} bytes", text,
                sizeof addr.sun_path - 1);
  }
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    const int e = errno;
    return fail(errnoError(e, "socket(AF_UNIX) for the console socket"));
  }
  ::unlink(text.c_str());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd.get(), 4) != 0) {
    const int e = errno;
    return fail(errnoError(e, "binding console socket " + text));
  }
  return ConsoleSocket(std::move(path), std::move(fd));
}

ConsoleSocket::~ConsoleSocket() {
  if (fd_.valid()) {
    ::unlink(path_.c_str());
  }
}

Result<UniqueFd> ConsoleSocket::receiveMaster() {
  UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) {
    const int e = errno;
    return fail(Code::kInternal, "the runtime did not connect to console socket {}: {}",
                path_.string(), std::strerror(e));
  }
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int e = errno;
    return fail(errnoError(e, "receiving the pty master on " + path_.string()));
  }
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC) != 0) {
    return fail(Code::kInternal, "console socket {}: the message carries no single fd",
                path_.string());
  }
  int master = -1;
  std::memcpy(&master, CMSG_DATA(cmsg), sizeof master);
  UniqueFd owned(master);
  const int flags = ::fcntl(owned.get(), F_GETFL);
  if (flags < 0 || ::fcntl(owned.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    const int e = errno;
    return fail(errnoError(e, "fcntl(O_NONBLOCK) on the pty master"));
  }
  return owned;
}

}  // namespace cocoon::agent::container::internal
