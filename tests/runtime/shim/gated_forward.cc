// SPDX-License-Identifier: Apache-2.0
// GatedForward: accept thread plus one thread per connection, copying bytes with poll().
#include "runtime/shim/gated_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace cocoon::runtime::shim::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Copies what is readable on `from` to `to`; false at end of stream or on an error.
bool copyOnce(int from, int to) {
  std::array<char, 16384> buffer{};
  const ssize_t n = ::read(from, buffer.data(), buffer.size());
  if (n <= 0) {
    return false;
  }
  std::size_t done = 0;
  while (done < static_cast<std::size_t>(n)) {
    const ssize_t w = ::write(to, buffer.data() + done, static_cast<std::size_t>(n) - done);
    if (w <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<GatedForward>> GatedForward::start(std::uint16_t upstream_port) {
  auto forward = std::unique_ptr<GatedForward>(new GatedForward());
  forward->upstream_port_ = upstream_port;
  forward->listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!forward->listener_.valid()) {
    return fail(Code::kUnavailable, "gated forward: socket: {}", std::strerror(errno));
  }
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  if (::bind(forward->listener_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(forward->listener_.get(), 16) != 0 ||
      ::getsockname(forward->listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    return fail(Code::kUnavailable, "gated forward: bind/listen: {}", std::strerror(errno));
  }
  forward->port_ = ntohs(address.sin_port);
  forward->acceptor_ = std::thread([f = forward.get()] { f->acceptLoop(); });
  return forward;
}

GatedForward::~GatedForward() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : live_fds_) {
      ::shutdown(fd, SHUT_RDWR);  // wakes the worker blocked in poll() on it
    }
  }
  changed_.notify_all();
  ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept()
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  for (std::thread& worker : workers_) {
    worker.join();
  }
}

std::string GatedForward::host() const {
  return "127.0.0.1:" + std::to_string(port_);
}

bool GatedForward::waitForConnection(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return connections_ > 0; });
}

void GatedForward::open() {
  {
    std::lock_guard lock(mutex_);
    open_ = true;
  }
  changed_.notify_all();
}

bool GatedForward::track(int fd) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    return false;
  }
  live_fds_.insert(fd);
  return true;
}

void GatedForward::untrack(int fd) {
  std::lock_guard lock(mutex_);
  live_fds_.erase(fd);
}

void GatedForward::acceptLoop() {
  for (;;) {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;  // the destructor shut the listener down
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    ++connections_;
    changed_.notify_all();
    workers_.emplace_back([this, fd = std::move(client)]() mutable { serve(std::move(fd)); });
  }
}

void GatedForward::serve(UniqueFd client) {
  if (!track(client.get())) {
    return;
  }
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return open_ || stopping_; });
  }
  UniqueFd upstream(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback(upstream_port_);
  if (upstream.valid() && track(upstream.get()) &&
      ::connect(upstream.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    std::array<pollfd, 2> fds{pollfd{client.get(), POLLIN, 0}, pollfd{upstream.get(), POLLIN, 0}};
    bool flowing = true;
    while (flowing && ::poll(fds.data(), fds.size(), -1) > 0) {
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        flowing = copyOnce(client.get(), upstream.get());
      }
      if (flowing && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        flowing = copyOnce(upstream.get(), client.get());
      }
    }
  }
  untrack(upstream.get());
  untrack(client.get());
}

}  // namespace cocoon::runtime::shim::test
