// SPDX-License-Identifier: Apache-2.0
// PeerProcess: fork/exec with an output pipe drained by a thread; runTool on runSubprocess.
#include "http/peer_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/subprocess.h"

namespace cocoon::test {
namespace {

constexpr std::size_t kMaxOutput = 1 << 20;

std::string joinArgs(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    out += (out.empty() ? "" : " ") + arg;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<PeerProcess>> PeerProcess::start(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return fail(Code::kInternal, "pipe2 failed: errno {}", errno);
  }
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return fail(Code::kInternal, "fork failed: errno {}", errno);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return std::unique_ptr<PeerProcess>(new PeerProcess(pid, fds[0]));
}

PeerProcess::PeerProcess(pid_t pid, int read_fd) : pid_(pid), read_fd_(read_fd) {
  reader_ = std::thread([this] { readLoop(); });
}

PeerProcess::~PeerProcess() {
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reader_.join();  // the pipe reaches EOF once the child (and any fd-sharing child) is gone
  close(read_fd_);
}

void PeerProcess::readLoop() {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(read_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      changed_.notify_all();
      return;
    }
    if (output_.size() < kMaxOutput) {
      output_.append(buffer, static_cast<std::size_t>(n));
    }
    changed_.notify_all();
  }
}

Result<std::string> PeerProcess::waitForLine(const std::string& pattern,
                                             std::chrono::milliseconds timeout) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  std::size_t scanned = 0;
  for (;;) {
    std::size_t newline;
    while ((newline = output_.find('\n', scanned)) != std::string::npos) {
      const std::string line = output_.substr(scanned, newline - scanned);
      scanned = newline + 1;
      std::smatch match;
      if (std::regex_search(line, match, re)) {
        return match.size() > 1 ? match[1].str() : line;
      }
    }
    if (eof_) {
      return fail(Code::kUnavailable, "peer exited before printing /{}/; output:\n{}", pattern,
                  output_);
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return fail(Code::kDeadlineExceeded, "peer did not print /{}/ in time; output:\n{}", pattern,
                  output_);
    }
  }
}

std::string PeerProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

Result<std::string> runTool(const std::vector<std::string>& argv) {
  SubprocessOptions options;
  options.argv = argv;
  options.timeout = std::chrono::minutes(2);
  COCOON_ASSIGN_OR_RETURN(SubprocessResult result, runSubprocess(options));
  if (result.exit_code != 0) {
    return fail(Code::kInternal, "`{}` exited {} (signal {}): {}", joinArgs(argv), result.exit_code,
                result.term_signal, result.stderr_data);
  }
  return result.stdout_data;
}

int closedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace cocoon::test
