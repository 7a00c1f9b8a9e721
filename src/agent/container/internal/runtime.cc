// SPDX-License-Identifier: Apache-2.0
// RuntimeCli: posix_spawn + pidfd + steady_timer; runtime output captured in memfds so
// that a chatty runtime can never block on a full pipe while we wait for its exit.
#include "agent/container/internal/runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/sys_error.h"

extern char** environ;

namespace cocoon::agent::container::internal {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxCapturedStdout = 1 << 20;
constexpr std::size_t kMaxCapturedStderr = 64 << 10;
// Runtime stderr quoted in an error message (STYLE §4.4: no whole blobs).
constexpr std::size_t kMaxQuotedStderr = 1024;

// posix_spawn state, destroyed on every path.
struct SpawnState {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnState() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  SpawnState(const SpawnState&) = delete;
  SpawnState& operator=(const SpawnState&) = delete;
  ~SpawnState() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// A copy of `fd` numbered above 2, so that dup2 onto 0-2 in the child cannot clobber it.
Result<UniqueFd> dupAboveStdio(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) {
    const int e = errno;
    return fail(errnoError(e, "fcntl(F_DUPFD_CLOEXEC)"));
  }
  return UniqueFd(copy);
}

Result<UniqueFd> makeMemfd(const char* name) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return fail(errnoError(e, "memfd_create"));
  }
  return UniqueFd(fd);
}

std::string readMemfd(int fd, std::size_t max_bytes) {
  std::string out;
  char chunk[4096];
  off_t offset = 0;
  while (out.size() < max_bytes) {
    const ssize_t n = ::pread(fd, chunk, sizeof chunk, offset);
    if (n <= 0) {
      break;
    }
    out.append(chunk, static_cast<std::size_t>(n));
    offset += n;
  }
  out.resize(std::min(out.size(), max_bytes));
  return out;
}

std::string quoteStderr(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.size() > kMaxQuotedStderr) {
    text.resize(kMaxQuotedStderr);
    text += "…";
  }
  return text.empty() ? std::string("(no stderr)") : text;
}

}  // namespace

Result<SpawnedChild> spawnChild(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                                int stderr_fd) {
  if (argv.empty()) {
    return fail(Code::kInvalidArgument, "spawn: argv is empty");
  }
  SpawnState st;
  const int targets[3] = {stdin_fd, stdout_fd, stderr_fd};
  UniqueFd copies[3];
  for (int target = 0; target < 3; ++target) {
    if (targets[target] < 0) {
      posix_spawn_file_actions_addopen(&st.actions, target, "/dev/null",
                                       target == 0 ? O_RDONLY : O_WRONLY, 0);
      continue;
    }
    COCOON_ASSIGN_OR_RETURN(copies[target], dupAboveStdio(targets[target]));
    posix_spawn_file_actions_adddup2(&st.actions, copies[target].get(), target);
  }
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&st.attr, &all);
  posix_spawnattr_setsigmask(&st.attr, &none);
  posix_spawnattr_setflags(&st.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    cargv.push_back(const_cast<char*>(arg.c_str()));
  }
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &st.actions, &st.attr, cargv.data(), environ);
  if (rc != 0) {
    return fail(errnoError(rc, "spawning " + argv[0]));
  }
  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    const int e = errno;
    ::kill(pid, SIGKILL);
    reapExited(pid);
    return fail(errnoError(e, "pidfd_open (needs Linux 5.3)"));
  }
  return SpawnedChild{pid, UniqueFd(static_cast<int>(pidfd))};
}

int reapExited(pid_t pid) {
  int status = 0;
  pid_t rc = 0;
  do {
    rc = ::waitpid(pid, &status, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc != pid) {
    return -1;
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

std::string drainPipe(int fd, std::size_t max_bytes) {
  std::string out;
  char chunk[4096];
  while (out.size() < max_bytes) {
    const ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, max_bytes - out.size()));
    if (n <= 0) {
      break;
    }
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

RuntimeCli::RuntimeCli(std::filesystem::path binary, std::filesystem::path root,
                       std::chrono::milliseconds timeout, std::set<pid_t>& busy_pids)
    : binary_(std::move(binary)),
      root_(std::move(root)),
      timeout_(timeout),
      busy_pids_(busy_pids) {}

std::string RuntimeCli::describe(const std::vector<std::string>& args) const {
  std::string text = binary_.filename().string();
  for (const std::string& arg : args) {
    text += ' ';
    text += arg;
  }
  return text;
}

namespace {

// A spawned runtime process and the memfds that capture its own output.
struct Started {
  SpawnedChild child;
  UniqueFd out_capture;
  UniqueFd err_capture;
};

Result<Started> startRuntime(const std::vector<std::string>& argv, RuntimeStdio stdio) {
  Started started;
  if (stdio.stdout_fd < 0) {
    COCOON_ASSIGN_OR_RETURN(started.out_capture, makeMemfd("runtime-stdout"));
    stdio.stdout_fd = started.out_capture.get();
  }
  if (stdio.stderr_fd < 0) {
    COCOON_ASSIGN_OR_RETURN(started.err_capture, makeMemfd("runtime-stderr"));
    stdio.stderr_fd = started.err_capture.get();
  }
  COCOON_ASSIGN_OR_RETURN(started.child,
                          spawnChild(argv, stdio.stdin_fd, stdio.stdout_fd, stdio.stderr_fd));
  return started;
}

}  // namespace

asio::awaitable<Result<RuntimeResult>> RuntimeCli::run(std::vector<std::string> args,
                                                       RuntimeStdio stdio) {
  std::vector<std::string> argv{binary_.string(), "--root", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto started = startRuntime(argv, stdio);
  if (!started) {
    co_return fail(std::move(started).error().addContext(describe(args)));
  }
  SpawnedChild child = std::move(started->child);
  const UniqueFd out_capture = std::move(started->out_capture);
  const UniqueFd err_capture = std::move(started->err_capture);
  busy_pids_.insert(child.pid);

  // The deadline handler may run after this frame is gone; it shares only this state.
  struct Deadline {
    UniqueFd pidfd;
    bool expired = false;
  };
  auto deadline = std::make_shared<Deadline>();
  const int watch_fd = ::fcntl(child.pidfd.get(), F_DUPFD_CLOEXEC, 3);
  deadline->pidfd = std::move(child.pidfd);
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, timeout_);
  timer.async_wait([deadline](const boost::system::error_code& ec) {
    if (!ec) {
      deadline->expired = true;
      ::syscall(SYS_pidfd_send_signal, deadline->pidfd.get(), SIGKILL, nullptr, 0);
    }
  });
  if (watch_fd >= 0) {
    asio::posix::stream_descriptor watch(executor, watch_fd);
    boost::system::error_code ec;
    co_await watch.async_wait(asio::posix::stream_descriptor::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  }
  timer.cancel();
  // Without a watch fd (out of fds) this blocks; the timer cannot fire meanwhile, but
  // the runtime exits on its own in all but pathological cases.
  const int status = reapExited(child.pid);
  busy_pids_.erase(child.pid);
  if (deadline->expired) {
    co_return fail(Code::kDeadlineExceeded, "`{}` did not finish within {} ms (killed)",
                   describe(args), timeout_.count());
  }
  RuntimeResult result;
  result.status = status;
  if (out_capture.valid()) {
    result.stdout_data = readMemfd(out_capture.get(), kMaxCapturedStdout);
  }
  if (err_capture.valid()) {
    result.stderr_data = readMemfd(err_capture.get(), kMaxCapturedStderr);
  }
  co_return result;
}

asio::awaitable<Status> RuntimeCli::check(std::vector<std::string> args, RuntimeStdio stdio,
                                          int stderr_pipe) {
  auto result = co_await run(args, stdio);
  if (!result) {
    co_return fail(std::move(result).error());
  }
  if (result->status == 0) {
    co_return okStatus();
  }
  std::string err = stderr_pipe >= 0 ? drainPipe(stderr_pipe, kMaxCapturedStderr)
                                     : std::move(result->stderr_data);
  co_return fail(Code::kInternal, "`{}` failed (exit status {}): {}", describe(args),
                 result->status, quoteStderr(std::move(err)));
}

}  // namespace cocoon::agent::container::internal
