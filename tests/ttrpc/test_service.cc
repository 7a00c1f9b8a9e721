// SPDX-License-Identifier: Apache-2.0
// Test helpers for ttrpc: the C++ Echo service, temp dirs, client threads, raw frames.
#include "ttrpc/test_service.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "ttrpc/message.h"

namespace cocoon::ttrpc::test {
namespace {

namespace asio = boost::asio;
constexpr int kReadTimeoutMs = 10'000;

asio::awaitable<Result<EchoResponse>> echo(const EchoRequest& req, const Request& call) {
  if (req.sleep_ms() > 0) {
    // Sleep, but never past the call's deadline (the server answers at the deadline).
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(std::min(call.deadline, std::chrono::steady_clock::now() +
                                                 std::chrono::milliseconds(req.sleep_ms())));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // As Go's echo returns ctx.Err(): whichever of this and the server's timer wins, the
    // caller sees the same status.
    if (std::chrono::steady_clock::now() >= call.deadline) {
      co_return fail(Code::kDeadlineExceeded, "deadline exceeded");
    }
  }
  if (req.fail_code() != 0) {
    co_return fail(static_cast<Code>(req.fail_code()), "failing as asked: {}", req.text());
  }
  EchoResponse resp;
  resp.set_text(req.text());
  std::vector<std::string> metadata;
  for (const auto& [key, value] : call.metadata) {
    metadata.push_back(key + "=" + value);
  }
  std::sort(metadata.begin(), metadata.end());
  for (auto& entry : metadata) {
    resp.add_metadata(std::move(entry));
  }
  resp.set_timeout_nano(call.timeout_nano);
  resp.set_blob(std::string(static_cast<std::size_t>(req.reply_bytes()), 'x'));
  co_return resp;
}

}  // namespace

Status registerEcho(Server& server) {
  return server.registerTyped<EchoRequest, EchoResponse>(kEchoService, "Echo", echo);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ttrpc-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::abort();  // the test cannot run without it
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

IoThread::IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

IoThread::~IoThread() {
  work_.reset();
  io_.stop();
  thread_.join();
}

Result<RawConnection> RawConnection::connectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int saved = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    return fail(Code::kUnavailable, "connect {}: {}", path, std::strerror(saved));
  }
  return RawConnection(fd);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Status RawConnection::write(ByteSpan bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail(Code::kUnavailable, "write: {}", std::strerror(errno));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return okStatus();
}

Result<std::size_t> RawConnection::writeSome(ByteSpan bytes, std::chrono::milliseconds wait) {
  pollfd p{fd_, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) == 0) {
    return 0;
  }
  const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return 0;
  }
  if (n < 0) {
    return fail(Code::kUnavailable, "send: {}", std::strerror(errno));
  }
  return static_cast<std::size_t>(n);
}

Status RawConnection::readExactly(std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kReadTimeoutMs) == 0) {
      return fail(Code::kDeadlineExceeded, "no data within {} ms", kReadTimeoutMs);
    }
    const ssize_t got = ::read(fd_, out, n);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return fail(Code::kUnavailable, "read: {}", got == 0 ? "EOF" : std::strerror(errno));
    }
    out += got;
    n -= static_cast<std::size_t>(got);
  }
  return okStatus();
}

Result<std::pair<FrameHeader, Bytes>> RawConnection::readFrame() {
  Bytes header(kFrameHeaderSize);
  COCOON_TRY(readExactly(header.data(), header.size()));
  ByteReader in(header);
  COCOON_ASSIGN_OR_RETURN(FrameHeader h, parseFrameHeader(in));
  Bytes payload(h.length);
  COCOON_TRY(readExactly(payload.data(), payload.size()));
  return std::make_pair(h, std::move(payload));
}

bool RawConnection::waitClosed() {
  std::uint8_t byte = 0;
  auto r = readExactly(&byte, 1);
  return !r && r.error().code == Code::kUnavailable;
}

void expectHundredConcurrentEchoes(asio::io_context& io, Client& client) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<Result<EchoResponse>>> calls;
  for (int i = 0; i < 100; ++i) {
    EchoRequest r;
    r.set_text(std::to_string(i));
    r.set_sleep_ms(200);
    calls.push_back(asio::co_spawn(io, client.callTyped<EchoResponse>(kEchoService, "Echo", r),
                                   asio::use_future));
  }
  for (int i = 0; i < 100; ++i) {
    auto resp = calls[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(resp) << resp.error().toString();
    EXPECT_EQ(resp->text(), std::to_string(i));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

Bytes echoRequestFrame(std::uint32_t stream_id, const EchoRequest& request,
                       std::int64_t timeout_nano) {
  Request call;
  call.service = kEchoService;
  call.method = "Echo";
  call.payload = request.SerializeAsString();
  call.timeout_nano = timeout_nano;
  const std::string body = encodeRequest(call);
  Bytes frame;
  appendFrame(frame, stream_id, MessageType::kRequest, 0, asBytes(body));
  return frame;
}

}  // namespace cocoon::ttrpc::test
