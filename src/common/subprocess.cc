// SPDX-License-Identifier: Apache-2.0
// runSubprocess: posix_spawn into a new process group, a poll() loop over stdin, stdout,
// stderr and a pidfd, and group-wide kill on timeout or overflow.
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string_view>
#include <utility>

#include "common/sys_error.h"
#include "common/unique_fd.h"

extern char** environ;

namespace cocoon {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kIoChunk = 64 * 1024;

// Moves `fd` to a number above 2, so that the child's dup2 onto 0-2 cannot clobber
// another of our pipe ends when this process runs with a standard stream closed.
Status moveAboveStdio(UniqueFd& fd) {
  if (fd.get() > 2) {
    return okStatus();
  }
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) {
    const int e = errno;
    return fail(errnoError(e, "fcntl(F_DUPFD_CLOEXEC)"));
  }
  fd.reset(moved);
  return okStatus();
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// A close-on-exec pipe whose parent side (read end if parent_reads) is non-blocking.
Result<Pipe> makePipe(bool parent_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int e = errno;
    return fail(errnoError(e, "pipe2"));
  }
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  COCOON_TRY(moveAboveStdio(pipe.read));
  COCOON_TRY(moveAboveStdio(pipe.write));
  const int ours = parent_reads ? pipe.read.get() : pipe.write.get();
  if (::fcntl(ours, F_SETFL, O_NONBLOCK) != 0) {
    const int e = errno;
    return fail(errnoError(e, "fcntl(O_NONBLOCK)"));
  }
  return pipe;
}

// The spawned child, owned until reaped. If the run ends early (error, overflow) the
// destructor kills the whole group and reaps the leader, so no path leaves a zombie.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!reaped_) {
      killGroup(SIGKILL);
      reap();
    }
  }

  Status openPidfd() {
    const long fd = ::syscall(SYS_pidfd_open, pid_, 0);
    if (fd < 0) {
      const int e = errno;
      return fail(errnoError(e, "pidfd_open (needs Linux 5.3)"));
    }
    pidfd_.reset(static_cast<int>(fd));
    return okStatus();
  }
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return reaped_; }
  int status() const { return status_; }
  bool statusKnown() const { return status_known_; }

  // The group id is the leader's pid (POSIX_SPAWN_SETPGROUP with 0). Until the leader
  // is reaped its pid cannot be reused, so this never signals a stranger's group.
  void killGroup(int sig) const { ::kill(-pid_, sig); }

  // Waits up to `wait` for the leader to exit; true if it has (it is not reaped yet).
  bool waitExit(std::chrono::milliseconds wait) const {
    pollfd p{pidfd_.get(), POLLIN, 0};
    const auto until = Clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      const int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
      if (rc >= 0 || errno != EINTR) {
        return rc > 0;
      }
    }
  }

  void reap() {
    int status = 0;
    pid_t rc = 0;
    do {
      rc = ::waitpid(pid_, &status, 0);
    } while (rc < 0 && errno == EINTR);
    reaped_ = true;
    // ECHILD: someone else (a SIGCHLD handler calling waitpid(-1)) reaped it.
    status_known_ = rc == pid_;
    status_ = status;
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
  bool status_known_ = false;
  int status_ = 0;
};

// Blocks SIGPIPE in this thread so that writing to a child that closed its stdin returns
// EPIPE instead of killing us; discards the SIGPIPE such a write leaves pending.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      const timespec zero{};
      while (sigtimedwait(&set_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_;
  sigset_t old_;
  bool was_pending_ = false;
};

Status validate(const SubprocessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return fail(Code::kInvalidArgument, "subprocess: argv is empty");
  }
  for (std::size_t i = 0; i < options.argv.size(); ++i) {
    if (options.argv[i].find('\0') != std::string::npos) {
      return fail(Code::kInvalidArgument, "subprocess {}: argv[{}] contains NUL", options.argv[0],
                  i);
    }
  }
  if (options.env) {
    for (std::size_t i = 0; i < options.env->size(); ++i) {
      const std::string& entry = (*options.env)[i];
      if (entry.find('\0') != std::string::npos || entry.find('=') == std::string::npos) {
        return fail(Code::kInvalidArgument, "subprocess {}: env[{}] is not KEY=VALUE",
                    options.argv[0], i);
      }
    }
  }
  if (options.cwd) {
    struct stat st {};
    if (::stat(options.cwd->c_str(), &st) != 0) {
      const int err = errno;
      return fail(errnoError(
          err, "subprocess " + options.argv[0] + ": working directory " + options.cwd->string()));
    }
    if (!S_ISDIR(st.st_mode)) {
      return fail(Code::kInvalidArgument, "subprocess {}: working directory {} is not a directory",
                  options.argv[0], options.cwd->string());
    }
  }
  return okStatus();
}

// posix_spawn state, destroyed on every path.
class SpawnConfig {
 public:
  SpawnConfig() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  SpawnConfig(const SpawnConfig&) = delete;
  SpawnConfig& operator=(const SpawnConfig&) = delete;
  ~SpawnConfig() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// Gives the child `pipe_end` as `target_fd`, or /dev/null when there is no pipe.
int wireStdio(posix_spawn_file_actions_t* actions, const UniqueFd& pipe_end, int target_fd) {
  if (pipe_end.valid()) {
    return posix_spawn_file_actions_adddup2(actions, pipe_end.get(), target_fd);
  }
  return posix_spawn_file_actions_addopen(actions, target_fd, "/dev/null",
                                          target_fd == 0 ? O_RDONLY : O_WRONLY, 0);
}

Result<pid_t> spawn(const SubprocessOptions& options, const UniqueFd& child_stdin,
                    const UniqueFd& child_stdout, const UniqueFd& child_stderr) {
  SpawnConfig config;
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  // Signals we ignore or handle must not stay ignored in the child (SIG_IGN survives
  // exec); SIGKILL/SIGSTOP cannot be changed and are left out.
  sigset_t all_default;
  sigfillset(&all_default);
  sigdelset(&all_default, SIGKILL);
  sigdelset(&all_default, SIGSTOP);
  const auto flags =
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawnattr_setflags(config.attr(), flags);
  rc = rc != 0 ? rc : posix_spawnattr_setpgroup(config.attr(), 0);
  rc = rc != 0 ? rc : posix_spawnattr_setsigmask(config.attr(), &empty_mask);
  rc = rc != 0 ? rc : posix_spawnattr_setsigdefault(config.attr(), &all_default);
  rc = rc != 0 ? rc : wireStdio(config.actions(), child_stdin, 0);
  rc = rc != 0 ? rc : wireStdio(config.actions(), child_stdout, 1);
  rc = rc != 0 ? rc : wireStdio(config.actions(), child_stderr, 2);
  if (rc == 0 && options.cwd) {
    rc = posix_spawn_file_actions_addchdir_np(config.actions(), options.cwd->c_str());
  }
  // Whatever else this process has open (without O_CLOEXEC) stays out of the child.
  rc = rc != 0 ? rc : posix_spawn_file_actions_addclosefrom_np(config.actions(), 3);
  if (rc != 0) {
    return fail(errnoError(rc, "subprocess " + options.argv[0] + ": preparing posix_spawn"));
  }

  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (options.env) {
    for (const std::string& entry : *options.env) {
      envp.push_back(const_cast<char*>(entry.c_str()));
    }
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  rc = posix_spawnp(&pid, argv[0], config.actions(), config.attr(), argv.data(),
                    options.env ? envp.data() : environ);
  if (rc != 0) {
    return fail(errnoError(rc, "executing \"" + options.argv[0] + "\""));
  }
  return pid;
}

struct Output {
  UniqueFd fd;
  std::string* data;
};

// Reads what `out` has now. Returns whether bytes arrived; closes the fd at EOF.
Result<bool> readAvailable(Output& out, std::vector<char>& buffer, std::size_t& total,
                           const SubprocessOptions& options) {
  const ssize_t n = ::read(out.fd.get(), buffer.data(), buffer.size());
  if (n < 0) {
    const int err = errno;
    if (err == EAGAIN || err == EINTR) {
      return false;
    }
    return fail(errnoError(err, "subprocess " + options.argv[0] + ": reading output"));
  }
  if (n == 0) {
    out.fd.reset();
    return false;
  }
  total += static_cast<std::size_t>(n);
  if (total > options.max_output_bytes) {
    return fail(Code::kResourceExhausted,
                "subprocess {}: output exceeds the limit of {} bytes; process group killed",
                options.argv[0], options.max_output_bytes);
  }
  out.data->append(buffer.data(), static_cast<std::size_t>(n));
  return true;
}

// SIGTERM to the group, up to kill_grace for the leader to exit, then SIGKILL to the
// group (before the leader is reaped, so its pid still names our group).
void stopGroup(Child& child, std::chrono::milliseconds grace) {
  child.killGroup(SIGTERM);
  if (!child.reaped()) {
    child.waitExit(grace);
  }
  child.killGroup(SIGKILL);
  if (!child.reaped()) {
    child.reap();
  }
}

int pollTimeoutMs(std::optional<Clock::time_point> deadline) {
  if (!deadline) {
    return -1;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
}

}  // namespace

Result<SubprocessResult> runSubprocess(const SubprocessOptions& options) {
  COCOON_TRY(validate(options));
  Pipe in;
  Pipe out;
  Pipe err;
  if (!options.stdin_data.empty()) {
    COCOON_ASSIGN_OR_RETURN(in, makePipe(/*parent_reads=*/false));
  }
  if (options.capture_stdout) {
    COCOON_ASSIGN_OR_RETURN(out, makePipe(/*parent_reads=*/true));
  }
  if (options.capture_stderr) {
    COCOON_ASSIGN_OR_RETURN(err, makePipe(/*parent_reads=*/true));
  }
  std::optional<SigpipeBlock> sigpipe_block;
  if (in.write.valid()) {
    sigpipe_block.emplace();
  }
  std::optional<Clock::time_point> deadline;
  if (options.timeout.count() > 0) {
    deadline = Clock::now() + options.timeout;
  }

  COCOON_ASSIGN_OR_RETURN(const pid_t pid, spawn(options, in.read, out.write, err.write));
  Child child(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  COCOON_TRY(child.openPidfd());

  SubprocessResult result;
  Output outputs[2] = {{std::move(out.read), &result.stdout_data},
                       {std::move(err.read), &result.stderr_data}};
  UniqueFd& stdin_fd = in.write;
  std::size_t stdin_written = 0;
  std::size_t total_output = 0;
  std::vector<char> buffer(kIoChunk);

  while (stdin_fd.valid() || outputs[0].fd.valid() || outputs[1].fd.valid() || !child.reaped()) {
    const int wait_ms = pollTimeoutMs(deadline);
    if (wait_ms == 0) {
      result.timed_out = true;
      stopGroup(child, options.kill_grace);
      // Keep what the group wrote before it died; do not wait for more.
      for (Output& output : outputs) {
        while (output.fd.valid()) {
          COCOON_ASSIGN_OR_RETURN(const bool got,
                                  readAvailable(output, buffer, total_output, options));
          if (!got) {
            break;
          }
        }
      }
      break;
    }
    // Slots: 0 stdin, 1 stdout, 2 stderr, 3 pidfd; fd -1 makes poll skip a slot.
    pollfd fds[4] = {
        {stdin_fd.get(), POLLOUT, 0},
        {outputs[0].fd.get(), POLLIN, 0},
        {outputs[1].fd.get(), POLLIN, 0},
        {child.reaped() ? -1 : child.pidfd(), POLLIN, 0},
    };
    if (::poll(fds, 4, wait_ms) < 0) {
      const int e = errno;
      if (e == EINTR) {
        continue;
      }
      return fail(errnoError(e, "subprocess " + options.argv[0] + ": poll"));
    }
    if (fds[0].revents != 0) {
      const std::string_view rest = std::string_view(options.stdin_data).substr(stdin_written);
      const ssize_t n = ::write(stdin_fd.get(), rest.data(), std::min(rest.size(), kIoChunk));
      if (n >= 0) {
        stdin_written += static_cast<std::size_t>(n);
        if (stdin_written == options.stdin_data.size()) {
          stdin_fd.reset();
        }
      } else if (errno == EPIPE) {
        stdin_fd.reset();  // the child stopped reading; not an error of ours
      } else if (errno != EAGAIN && errno != EINTR) {
        const int e = errno;
        return fail(errnoError(e, "subprocess " + options.argv[0] + ": writing stdin"));
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents != 0) {
        COCOON_TRY(readAvailable(outputs[i], buffer, total_output, options));
      }
    }
    if (fds[3].revents != 0) {
      child.reap();
    }
  }

  if (!child.statusKnown()) {
    return fail(Code::kInternal, "subprocess {}: exit status lost (reaped elsewhere)",
                options.argv[0]);
  }
  const int status = child.status();
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace cocoon
