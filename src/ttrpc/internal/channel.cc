// SPDX-License-Identifier: Apache-2.0
// Transports (unix, vsock, character device) and the framed Channel over them.
#include "ttrpc/internal/channel.h"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace cocoon::ttrpc::internal {
namespace {

using boost::system::error_code;
using Endpoint = asio::generic::stream_protocol::endpoint;

// Bytes asked of the transport per read when no bigger frame is pending.
constexpr std::size_t kReadChunk = 64 * 1024;

Result<Endpoint> endpointOf(const Address& address) {
  if (address.kind == Address::Kind::kVsock) {
    sockaddr_vm vm{};
    vm.svm_family = AF_VSOCK;
    vm.svm_cid = address.cid;
    vm.svm_port = address.port;
    return Endpoint(&vm, sizeof(vm));
  }
  // Asio throws for a path sockaddr_un cannot hold; Address may not come from parseAddress.
  if (address.path.empty() || address.path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail(Code::kInvalidArgument, "unix socket path of {} bytes (1..{} allowed)",
                address.path.size(), sizeof(sockaddr_un::sun_path) - 1);
  }
  return Endpoint(asio::local::stream_protocol::endpoint(address.path));
}

}  // namespace

Result<std::variant<Socket, Descriptor>> connectTransport(const asio::any_io_executor& executor,
                                                          const Address& address) {
  if (address.kind == Address::Kind::kSerial) {
    COCOON_ASSIGN_OR_RETURN(Descriptor d, openSerial(executor, address.path));
    return std::variant<Socket, Descriptor>(std::move(d));
  }
  COCOON_ASSIGN_OR_RETURN(const Endpoint endpoint, endpointOf(address));
  Socket socket(executor);
  error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) {
    return fail(address.kind == Address::Kind::kVsock ? Code::kInvalidArgument : Code::kUnavailable,
                "cannot open a socket for {}: {}", address.toString(), ec.message());
  }
  socket.connect(endpoint, ec);
  if (ec) {
    return fail(Code::kUnavailable, "cannot connect to {}: {}", address.toString(), ec.message());
  }
  return std::variant<Socket, Descriptor>(std::move(socket));
}

Result<Acceptor> listenTransport(const asio::any_io_executor& executor, const Address& address) {
  if (address.kind == Address::Kind::kSerial) {
    return fail(Code::kInvalidArgument, "cannot listen on {}: a device is served, not listened on",
                address.toString());
  }
  if (address.kind == Address::Kind::kUnix) {
    struct stat st {};
    // A socket left by a previous run; never unlink anything else.
    if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(address.path.c_str());
    }
  }
  COCOON_ASSIGN_OR_RETURN(const Endpoint endpoint, endpointOf(address));
  Acceptor acceptor(executor);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail(Code::kUnavailable, "cannot listen on {}: {}", address.toString(), ec.message());
  }
  return acceptor;
}

Result<Descriptor> openSerial(const asio::any_io_executor& executor, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return fail(Code::kUnavailable, "cannot open serial device {}: {}", path, std::strerror(errno));
  }
  termios tio{};
  if (::isatty(fd) == 1 && ::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
      const int saved = errno;
      ::close(fd);
      return fail(Code::kUnavailable, "cannot set raw mode on {}: {}", path, std::strerror(saved));
    }
  }
  return Descriptor(executor, fd);
}

Channel::Channel(std::variant<Socket, Descriptor> transport, std::uint32_t max_payload)
    : transport_(std::move(transport)), decoder_(max_payload), room_(executor()) {}

asio::any_io_executor Channel::executor() {
  return std::visit([](auto& t) -> asio::any_io_executor { return t.get_executor(); }, transport_);
}

asio::awaitable<Result<DecodedFrame>> Channel::readFrame() {
  for (;;) {
    if (auto frame = decoder_.next()) {
      co_return *frame;
    }
    auto space = decoder_.prepare(std::max(kReadChunk, decoder_.missing()));
    error_code ec;
    const std::size_t n = co_await std::visit(
        [&](auto& t) {
          return t.async_read_some(asio::buffer(space.data(), space.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
        },
        transport_);
    if (ec) {
      co_return fail(Code::kUnavailable, "connection closed: {}", ec.message());
    }
    decoder_.commit(n);
  }
}

void Channel::send(Bytes frame) {
  if (!isOpen()) {
    return;
  }
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(
        executor(), [self = shared_from_this()] { return self->writeLoop(); }, asio::detached);
  }
}

asio::awaitable<void> Channel::writeLoop() {
  std::vector<Bytes> batch;
  std::vector<asio::const_buffer> buffers;
  while (!queue_.empty()) {
    // Everything queued while the previous write was in flight goes out in one gather.
    batch.clear();
    buffers.clear();
    while (!queue_.empty()) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    for (const Bytes& b : batch) {
      buffers.emplace_back(b.data(), b.size());
    }
    error_code ec;
    co_await std::visit(
        [&](auto& t) {
          return asio::async_write(t, buffers, asio::redirect_error(asio::use_awaitable, ec));
        },
        transport_);
    for (const Bytes& b : batch) {
      queued_bytes_ -= b.size();
    }
    room_.cancel();
    if (ec) {
      queue_.clear();
      queued_bytes_ = 0;
      close();
      break;
    }
  }
  writing_ = false;
  if (on_drained_) {
    on_drained_();
  }
}

asio::awaitable<void> Channel::waitQueueBelow(std::size_t limit) {
  while (queued_bytes_ > limit && isOpen()) {
    room_.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ec;
    co_await room_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Channel::close() {
  room_.cancel();
  std::visit(
      [](auto& t) {
        error_code ignored;
        t.close(ignored);
      },
      transport_);
}

bool Channel::isOpen() const {
  return std::visit([](const auto& t) { return t.is_open(); }, transport_);
}

}  // namespace cocoon::ttrpc::internal
