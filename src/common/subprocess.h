// SPDX-License-Identifier: Apache-2.0
// Runs a program to completion with its stdio piped, a deadline, and output caps.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace cocoon {

struct SubprocessOptions {
  // argv[0] is looked up in the PATH of this process when it has no '/'.
  std::vector<std::string> argv{};
  // KEY=VALUE entries replacing the environment; nullopt inherits ours.
  std::optional<std::vector<std::string>> env{};
  // Written to the child's stdin, which is then closed. Empty: stdin is /dev/null.
  std::string stdin_data{};
  // Captured streams come back in SubprocessResult; the others go to /dev/null (never
  // to our stdout, which may belong to containerd).
  bool capture_stdout = true;
  bool capture_stderr = true;
  // 0 = no deadline. On expiry the whole process group gets SIGTERM, then SIGKILL after
  // kill_grace.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{1000};
  std::optional<std::filesystem::path> cwd{};
  // Cap on captured stdout plus stderr together.
  std::size_t max_output_bytes = std::size_t{64} << 20;
};

struct SubprocessResult {
  int exit_code = -1;   // exit status, or -1 when killed by a signal
  int term_signal = 0;  // the signal that killed it, or 0
  bool timed_out = false;
  std::string stdout_data{};
  std::string stderr_data{};
};

// Runs argv in a new process group with default signal handling, an empty signal mask
// and no file descriptors but 0-2, feeds stdin and drains stdout/stderr concurrently,
// waits for it to exit and for both pipes to reach EOF (a background grandchild that
// keeps them open therefore holds this call until the deadline), and reaps it: no
// zombie is left on any path. A child that exits non-zero, dies of a signal or times out
// is a successful call; look at the result. On timeout the result holds what had been
// read by then.
// Thread-safe: may run concurrently from several threads. SIGPIPE is blocked in the
// calling thread while it runs. Callers must not reap children with waitpid(-1).
// Errors: kInvalidArgument for an empty argv or an argument containing NUL;
// kNotFound naming argv[0] when it cannot be found, kPermissionDenied when it may not be
// executed; kNotFound/kInvalidArgument when cwd is missing or not a directory;
// kResourceExhausted when the output exceeds max_output_bytes (the group is killed);
// kInternal when a pipe or process operation fails.
Result<SubprocessResult> runSubprocess(const SubprocessOptions& options);

}  // namespace cocoon
