// SPDX-License-Identifier: Apache-2.0
// Output and input relays between containerd's FIFOs and the agent's stream calls.
#include "runtime/shim/stdio.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <google/protobuf/empty.pb.h>

#include "common/log.h"
#include "common/sys_error.h"
#include "proto/agent/agent.pb.h"

namespace cocoon::runtime::shim {
namespace {

constexpr std::uint32_t kChunk = 64 * 1024;

// Writes everything unless the reader went away (then the caller drops the rest).
bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

void relayOutput(AgentClient& agent, const std::string& container_id, const std::string& exec_id,
                 const char* method, const std::string& fifo) {
  UniqueFd out;
  if (!fifo.empty()) {
    // O_NONBLOCK: fails with ENXIO instead of waiting when no reader has the FIFO open.
    out = UniqueFd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (out.valid()) {
      const int flags = ::fcntl(out.get(), F_GETFL);
      (void)::fcntl(out.get(), F_SETFL, flags & ~O_NONBLOCK);
    } else {
      COCOON_LOG(kWarn, "shim", "{} of {}: cannot open {} ({}): output dropped", method,
                 container_id, fifo, errno);
    }
  }
  grpc::ReadStreamRequest request;
  request.set_container_id(container_id);
  request.set_exec_id(exec_id);
  request.set_len(kChunk);
  for (;;) {
    auto chunk = agent.call<grpc::ReadStreamResponse>(method, request);
    if (!chunk) {
      if (chunk.error().code != Code::kPermissionDenied) {
        COCOON_LOG(kDebug, "shim", "{} of {} ended: {}", method, container_id,
                   chunk.error().message);
      }
      return;
    }
    if (chunk->data().empty()) {
      return;
    }
    if (out.valid() && !writeAll(out.get(), chunk->data())) {
      out.reset();  // the reader left: keep draining so the process is never blocked
    }
  }
}

InputRelay::~InputRelay() {
  stop(false);
}

Status InputRelay::start(AgentClient& agent, std::string container_id, std::string exec_id,
                         const std::string& fifo) {
  // O_NONBLOCK: the open does not wait for a writer; poll() then waits for data.
  fifo_ = UniqueFd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo_.valid()) {
    return fail(errnoError(errno, "open stdin FIFO " + fifo));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return fail(errnoError(errno, "pipe2"));
  }
  wake_read_ = UniqueFd(pipe_fds[0]);
  wake_write_ = UniqueFd(pipe_fds[1]);
  thread_ = std::thread([this, &agent, cid = std::move(container_id), eid = std::move(exec_id)] {
    run(agent, cid, eid);
  });
  return okStatus();
}

void InputRelay::stop(bool close_stdin) {
  std::lock_guard lock(stop_mutex_);
  if (!thread_.joinable()) {
    return;
  }
  close_stdin_ = close_stdin;
  const char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);
  thread_.join();
}

void InputRelay::run(AgentClient& agent, const std::string& container_id,
                     const std::string& exec_id) {
  std::string buffer(kChunk, '\0');
  bool send_close = true;
  for (;;) {
    pollfd fds[2] = {{fifo_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[1].revents != 0) {
      send_close = close_stdin_;
      break;
    }
    // Linux reports POLLHUP only once a writer has come and gone: end of input.
    const ssize_t n = ::read(fifo_.get(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    grpc::WriteStreamRequest request;
    request.set_container_id(container_id);
    request.set_exec_id(exec_id);
    request.set_data(buffer.data(), static_cast<std::size_t>(n));
    if (auto sent = agent.call<grpc::WriteStreamResponse>("WriteStdin", request); !sent) {
      COCOON_LOG(kDebug, "shim", "stdin of {} ended: {}", container_id, sent.error().message);
      return;
    }
  }
  if (send_close) {
    grpc::CloseStdinRequest request;
    request.set_container_id(container_id);
    request.set_exec_id(exec_id);
    (void)agent.call<google::protobuf::Empty>("CloseStdin", request, std::chrono::seconds(10));
  }
}

}  // namespace cocoon::runtime::shim
