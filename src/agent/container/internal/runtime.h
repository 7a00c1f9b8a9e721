// SPDX-License-Identifier: Apache-2.0
// Runs the OCI runtime binary (`<runtime> --root STATE <verb> ...`) without blocking the
// strand: posix_spawn with the caller's stdio, a pidfd watched by Asio, a deadline.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::agent::container::internal {

// A child we spawned, with its pidfd (close-on-exec).
struct SpawnedChild {
  pid_t pid = -1;
  UniqueFd pidfd;
};

// posix_spawn of argv with stdin/stdout/stderr = the given fds (-1: /dev/null), default
// signal dispositions and an empty signal mask. Every other fd of ours is close-on-exec.
// Errors: kNotFound/kPermissionDenied for argv[0], kInternal for other spawn failures.
Result<SpawnedChild> spawnChild(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                                int stderr_fd);

// Reaps `pid` (which must have exited) and returns its status as the Kata API reports it:
// the exit code, or 128 + signal. -1 when it was not ours to reap (ECHILD).
int reapExited(pid_t pid);

// The process's stdio for one runtime call. -1 for stdout/stderr means "captured": the
// runtime's own output, returned in RuntimeResult. Fds stay owned by the caller.
struct RuntimeStdio {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

struct RuntimeResult {
  int status = 0;  // exit code, or 128 + signal
  std::string stdout_data;
  std::string stderr_data;
};

class RuntimeCli {
 public:
  // `busy_pids` holds the pids of runtime processes while they run, so that the orphan
  // reaper leaves them alone; it must outlive this object and is only touched on the
  // strand the calls run on.
  RuntimeCli(std::filesystem::path binary, std::filesystem::path root,
             std::chrono::milliseconds timeout, std::set<pid_t>& busy_pids);

  // Runs `<binary> --root <root> args...` to completion. A non-zero exit is a success
  // here; see check(). Errors: spawn errors (kNotFound, ...); kDeadlineExceeded naming
  // the command when it runs past the timeout (it is killed).
  boost::asio::awaitable<Result<RuntimeResult>> run(std::vector<std::string> args,
                                                    RuntimeStdio stdio);

  // run(), and a non-zero exit becomes kInternal "`runc create ... ID` failed (exit
  // status 1): <stderr>", the stderr trimmed and capped. When the caller wired stderr to
  // its own non-blocking pipe, pass its read end as `stderr_pipe`: the message then
  // quotes what the runtime left in it.
  boost::asio::awaitable<Status> check(std::vector<std::string> args, RuntimeStdio stdio = {},
                                       int stderr_pipe = -1);

  // "runc start ID": the command as errors name it (no --root).
  std::string describe(const std::vector<std::string>& args) const;

  const std::filesystem::path& binary() const { return binary_; }

 private:
  std::filesystem::path binary_;
  std::filesystem::path root_;
  std::chrono::milliseconds timeout_;
  std::set<pid_t>& busy_pids_;
};

// Reads what is in a non-blocking pipe right now (at most `max_bytes`).
std::string drainPipe(int fd, std::size_t max_bytes);

}  // namespace cocoon::agent::container::internal
