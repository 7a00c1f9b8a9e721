// SPDX-License-Identifier: Apache-2.0
// Process: one container init or exec'd process that the supervisor tracks: its pidfd
// (exit status), its stdout/stderr buffered up to a cap, its stdin, or its pty master.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "agent/container/internal/notifier.h"
#include "agent/container/supervisor.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::agent::container::internal {

// The process's end of its stdio, as the supervisor holds it.
struct ProcessIo {
  UniqueFd stdin_write;  // pipe (non-terminal); invalid when there is none
  UniqueFd stdout_read;  // pipe, non-blocking
  UniqueFd stderr_read;  // pipe, non-blocking
  UniqueFd pty_master;   // terminal processes: stdin, stdout and resize
};

// Lives on the supervisor's strand: every member except exited()/exitStatus() must be
// called there. Shared (shared_ptr) between the container table and the coroutines that
// pump its output and watch its exit, which may outlive its removal from the table.
class Process : public std::enable_shared_from_this<Process> {
 public:
  // Takes the fds; `executor` must be the strand. Call start() once, afterwards.
  Process(boost::asio::any_io_executor executor, std::string name, pid_t pid, UniqueFd pidfd,
          ProcessIo io, std::size_t max_buffered);

  // Spawns the output pumps and the exit watcher on the strand.
  void start();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool terminal() const { return terminal_; }
  // Thread-safe.
  bool exited() const { return exited_.load(); }
  ExitStatus exitStatus() const { return exit_status_.load(); }

  // As Supervisor::waitProcess / readOutput / writeStdin / closeStdin / resizeTerminal.
  boost::asio::awaitable<ExitStatus> wait();
  boost::asio::awaitable<Result<std::string>> read(OutputStream stream, std::size_t max_bytes);
  boost::asio::awaitable<Result<std::size_t>> write(std::string data);
  Status closeStdin();
  Status resize(std::uint16_t rows, std::uint16_t columns);
  // Sends `signal` through the pidfd; an exited process is not an error.
  Status signal(int signal);
  // Waits up to `limit` for the exit; true if it exited.
  boost::asio::awaitable<bool> waitFor(std::chrono::milliseconds limit);
  // Closes every stdio fd (readers then see end of file).
  void closeIo();

 private:
  struct Stream {
    std::unique_ptr<boost::asio::posix::stream_descriptor> fd;
    std::string buffer;
    bool eof = false;
  };

  static boost::asio::awaitable<void> pump(std::shared_ptr<Process> self, int index);
  static boost::asio::awaitable<void> watchExit(std::shared_ptr<Process> self);
  Stream& stream(OutputStream which) { return streams_[which == OutputStream::kStdout ? 0 : 1]; }

  boost::asio::any_io_executor executor_;
  std::string name_;
  pid_t pid_;
  UniqueFd pidfd_;
  bool terminal_;
  std::size_t max_buffered_;
  Stream streams_[2];
  // Pipe write end, or a second descriptor on the pty master, for stdin.
  std::unique_ptr<boost::asio::posix::stream_descriptor> stdin_;
  bool stdin_busy_ = false;
  std::atomic<bool> exited_{false};
  std::atomic<ExitStatus> exit_status_{0};
  Notifier changed_;
};

}  // namespace cocoon::agent::container::internal
