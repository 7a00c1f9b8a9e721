// SPDX-License-Identifier: Apache-2.0
// ChildProcess: a long-running child (QEMU) started with chosen file descriptors, waited
// for through a pidfd with a deadline, and killed and reaped on every path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::runtime::vm::internal {

struct SpawnOptions {
  // argv[0] is looked up in PATH when it has no '/'.
  std::vector<std::string> argv;
  // {fd in this process, fd number in the child}; the child gets nothing else but
  // stdin (/dev/null) and stdout/stderr (output_fd).
  std::vector<std::pair<int, int>> fds;
  int output_fd = -1;
};

// Owns a started child in its own session. Move-only; not thread-safe. The destructor
// SIGKILLs a child that is still running and reaps it.
class ChildProcess {
 public:
  // Errors: kInvalidArgument for an empty argv, kNotFound when argv[0] is not found,
  // kInternal when fork or pidfd_open fails; a failing exec shows as exit status 127.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  // The wait status once reaped.
  std::optional<int> waitStatus() const { return status_; }

  // Waits up to `timeout` (0 = just check) for the child to exit and reaps it. Returns
  // true when it has exited (now or before). Errors: kInternal when poll/waitpid fail.
  Result<bool> waitFor(std::chrono::milliseconds timeout);
  // SIGKILL (if still running), then reaps. Never fails for a child we own.
  void killAndReap() noexcept;

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::optional<int> status_;
};

// "exit status N" or "killed by signal N" for a wait status.
std::string describeWaitStatus(int status);

}  // namespace cocoon::runtime::vm::internal
