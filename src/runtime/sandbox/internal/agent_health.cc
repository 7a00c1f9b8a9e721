// SPDX-License-Identifier: Apache-2.0
// Health polling of a starting agent over ttrpc.
#include "runtime/sandbox/internal/agent_health.h"

#include <algorithm>
#include <fstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "proto/agent/health.pb.h"
#include "runtime/agent_client/agent_client.h"
#include "ttrpc/client.h"

namespace cocoon::runtime::sandbox::internal {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// One answer takes ~5 ms over virtio-serial under TCG; a call that takes longer than this
// was most likely lost while the guest reopened its port, so it is sent again.
constexpr milliseconds kCallTimeout{2000};
constexpr milliseconds kFirstBackoff{10};
constexpr milliseconds kMaxBackoff{200};

Status checkOnce(asio::io_context& io, const ttrpc::Address& address, milliseconds timeout) {
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<ttrpc::Client> client,
                          ttrpc::Client::connect(io.get_executor(), address));
  grpc::CheckRequest request;
  COCOON_ASSIGN_OR_RETURN(
      std::string answer,
      client->callBlocking(
          "grpc.Health", "Check", request.SerializeAsString(),
          {.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout)}));
  client->close();
  return checkServingAnswer(answer);
}

}  // namespace

Status waitAgentServing(const ttrpc::Address& address,
                        std::chrono::steady_clock::time_point deadline, const AliveCheck& alive) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  milliseconds backoff = kFirstBackoff;
  Error last{Code::kDeadlineExceeded, "no attempt made"};
  Status result = okStatus();
  for (;;) {
    if (auto gone = alive()) {
      result = fail(Code::kUnavailable, "the agent exited before it was ready: {}", *gone);
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result = fail(Code::kDeadlineExceeded, "the agent at {} did not answer SERVING in time: {}",
                    address.toString(), last.toString());
      break;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
    Status once = checkOnce(io, address, std::min(left, kCallTimeout));
    if (once) {
      break;
    }
    last = once.error();
    std::this_thread::sleep_for(std::min(backoff, left));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  guard.reset();
  io.stop();
  io_thread.join();
  return result;
}

std::string fileTail(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return "";
  }
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string tail(size - start, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  if (start > 0) {
    if (auto newline = tail.find('\n'); newline != std::string::npos) {
      tail.erase(0, newline + 1);
    }
  }
  return tail;
}

}  // namespace cocoon::runtime::sandbox::internal
