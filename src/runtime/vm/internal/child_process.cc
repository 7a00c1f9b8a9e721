// SPDX-License-Identifier: Apache-2.0
// fork/exec with a descriptor map, pidfd-based waiting with a deadline, kill and reap.
#include "runtime/vm/internal/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "common/sys_error.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in headers

namespace cocoon::runtime::vm::internal {
namespace {

// Every child fd number is below this, so sources are first moved above it and then
// placed without clobbering each other.
constexpr int kFirstParkedFd = 64;

Result<std::string> findProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const char* path_env = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read only
  std::string_view path = path_env != nullptr ? path_env : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = path.find(':');
    const std::string dir{path.substr(0, colon)};
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      break;
    }
    path.remove_prefix(colon + 1);
  }
  return fail(Code::kNotFound, "program '{}' is not in PATH", name);
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void execChild(const char* program, char* const* argv,
                            const std::vector<std::pair<int, int>>& fds, int output_fd) {
  ::setsid();
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int parked[16];
  const std::size_t count = fds.size() < 16 ? fds.size() : 16;
  for (std::size_t i = 0; i < count; ++i) {
    parked[i] = ::fcntl(fds[i].first, F_DUPFD_CLOEXEC, kFirstParkedFd);
  }
  const int out = ::fcntl(output_fd, F_DUPFD_CLOEXEC, kFirstParkedFd);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || out < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
    ::_exit(127);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (parked[i] < 0 || ::dup2(parked[i], fds[i].second) < 0) {
      ::_exit(127);
    }
  }
  ::syscall(SYS_close_range, 3 + count, ~0U, 0);
  ::execve(program, argv, environ);
  ::_exit(127);
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return fail(Code::kInvalidArgument, "empty argv");
  }
  if (options.fds.size() > 16) {
    return fail(Code::kInvalidArgument, "at most 16 descriptors can be passed, not {}",
                options.fds.size());
  }
  for (const auto& [from, to] : options.fds) {
    if (to < 3 || to >= kFirstParkedFd || static_cast<std::size_t>(to) >= 3 + options.fds.size()) {
      return fail(Code::kInvalidArgument, "child fd {} is outside 3..{}", to,
                  2 + options.fds.size());
    }
  }
  COCOON_ASSIGN_OR_RETURN(const std::string program, findProgram(options.argv[0]));
  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: execve's signature
  }
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail(errnoError(errno, "fork for " + options.argv[0]));
  }
  if (pid == 0) {
    execChild(program.c_str(), argv.data(), options.fds, options.output_fd);
  }
  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return fail(errnoError(err, "pidfd_open of " + options.argv[0]));
  }
  return ChildProcess(pid, UniqueFd(static_cast<int>(pidfd)));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    killAndReap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  killAndReap();
}

Result<bool> ChildProcess::waitFor(std::chrono::milliseconds timeout) {
  if (!running()) {
    return true;
  }
  pollfd pfd{pidfd_.get(), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    return fail(errnoError(errno, "poll on the pidfd of " + std::to_string(pid_)));
  }
  if (ready <= 0) {
    return false;
  }
  int status = 0;
  const pid_t reaped = ::waitpid(pid_, &status, 0);
  if (reaped != pid_) {
    return fail(errnoError(errno, "waitpid " + std::to_string(pid_)));
  }
  status_ = status;
  pidfd_.reset();
  return true;
}

void ChildProcess::killAndReap() noexcept {
  if (!running()) {
    return;
  }
  // A pidfd signal cannot hit a recycled pid.
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
  pidfd_.reset();
}

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return "exit status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "wait status " + std::to_string(status);
}

}  // namespace cocoon::runtime::vm::internal
