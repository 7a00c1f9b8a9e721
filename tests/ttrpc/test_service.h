// SPDX-License-Identifier: Apache-2.0
// Test helpers for ttrpc: the Echo service (tests/ttrpc/echo.proto) in C++, a temp dir,
// an io_context thread for clients, and raw-frame I/O on a blocking socket.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/result.h"
#include "tests/ttrpc/echo.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/server.h"

namespace cocoon::ttrpc::test {

inline constexpr const char* kEchoService = "cocoon.test.Echo";

// Registers cocoon.test.Echo/Echo with the semantics of the Go peer's echo (echo.proto).
Status registerEcho(Server& server);

// A fresh directory under TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An io_context run by one thread until destruction (for Client).
class IoThread {
 public:
  IoThread();
  ~IoThread();
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A blocking connection that writes and reads whole frames, for byte-level tests.
class RawConnection {
 public:
  // Connects to a unix socket path, or wraps an open fd (taking ownership).
  static Result<RawConnection> connectUnix(const std::string& path);
  explicit RawConnection(int fd) : fd_(fd) {}
  RawConnection(RawConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawConnection& operator=(RawConnection&&) = delete;
  ~RawConnection();

  Status write(ByteSpan bytes);
  // Writes what the socket takes within `wait`; 0 when it took nothing (the peer is not
  // reading).
  Result<std::size_t> writeSome(ByteSpan bytes, std::chrono::milliseconds wait);
  // Reads one frame (header and payload); kUnavailable on EOF, kDeadlineExceeded after 10 s.
  Result<std::pair<FrameHeader, Bytes>> readFrame();
  // True when the peer closed the connection (read returns 0) within 10 s.
  bool waitClosed();

 private:
  Status readExactly(std::uint8_t* out, std::size_t n);
  int fd_;
};

// Starts 100 Echo calls on `client` at once, each held 200 ms by the server, and expects
// every answer to match its call and all to finish well before 100 x 200 ms.
void expectHundredConcurrentEchoes(boost::asio::io_context& io, Client& client);

// Bytes of a Request frame for Echo with `request` as payload.
Bytes echoRequestFrame(std::uint32_t stream_id, const cocoon::ttrpc::test::EchoRequest& request,
                       std::int64_t timeout_nano = 0);

}  // namespace cocoon::ttrpc::test
