// SPDX-License-Identifier: Apache-2.0
// The process backend: cocoon-agent on the host, no VM, no TEE (development only).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/log.h"
#include "runtime/sandbox/internal/agent_health.h"
#include "runtime/sandbox/internal/backends.h"

namespace cocoon::runtime::sandbox::internal {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exit status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {}", WTERMSIG(status));
  }
  return fmt::format("wait status {}", status);
}

bool isExecutable(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// fork + exec with stdin from /dev/null and stdout/stderr appended to `log`; the child gets
// a process group of its own so a terminal's ^C reaches only our handler.
Result<pid_t> spawn(const std::vector<std::string>& argv, const fs::path& log) {
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return fail(Code::kInternal, "open {}: {}", log.string(), std::strerror(errno));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: execv's signature
  }
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::setpgid(0, 0);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) {
    return fail(Code::kInternal, "fork: {}", std::strerror(fork_errno));
  }
  return pid;
}

class ProcessSandbox final : public Sandbox {
 public:
  ProcessSandbox(pid_t pid, fs::path run_dir, fs::path console_log, ttrpc::Address address)
      : pid_(pid),
        run_dir_(std::move(run_dir)),
        console_log_(std::move(console_log)),
        address_(std::move(address)) {}
  ~ProcessSandbox() override { (void)stop(milliseconds(0)); }

  const ttrpc::Address& agentAddress() const override { return address_; }
  SandboxTimeline timeline() const override { return timeline_; }
  std::string diagnostics() const override { return fileTail(console_log_); }
  void setReady(milliseconds at) { timeline_.agent_ready = at; }

  bool running() override { return !exitStatus(); }

  // The agent's exit, described, once it has exited (reaped here).
  std::optional<std::string> exitStatus() {
    if (pid_ > 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_ = describeWaitStatus(status);
        pid_ = -1;
      }
    }
    return exit_;
  }

  Status stop(milliseconds grace) override {
    if (!stopped_) {
      stopped_ = true;
      terminate(grace);
      stop_status_ = removeRunDir(run_dir_);
    }
    return stop_status_;
  }

 private:
  void terminate(milliseconds grace) {
    if (exitStatus()) {
      return;
    }
    // SIGTERM lets the agent remove its containers (and their mounts) before it exits.
    ::kill(pid_, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < until) {
      if (exitStatus()) {
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (grace.count() > 0) {
      COCOON_LOG(kWarn, "sandbox", "cocoon-agent (pid {}) ignored SIGTERM for {} ms: SIGKILL", pid_,
                 grace.count());
    }
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_ = describeWaitStatus(status);
    pid_ = -1;
  }

  pid_t pid_;
  fs::path run_dir_;
  fs::path console_log_;
  ttrpc::Address address_;
  SandboxTimeline timeline_;
  std::optional<std::string> exit_;
  bool stopped_ = false;
  Status stop_status_ = okStatus();
};

}  // namespace

Result<fs::path> findAgentBinary(const fs::path& configured, const fs::path& self_dir) {
  if (!configured.empty()) {
    if (!isExecutable(configured)) {
      return fail(Code::kNotFound,
                  "agent binary {} ([sandbox] agent_binary) is not an executable file",
                  configured.string());
    }
    return configured;
  }
  if (isExecutable(self_dir / "cocoon-agent")) {
    return self_dir / "cocoon-agent";
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path == nullptr ? "" : path;
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const fs::path candidate = fs::path(dirs.substr(0, colon)) / "cocoon-agent";
    if (isExecutable(candidate)) {
      return candidate;
    }
    dirs = colon == std::string_view::npos ? "" : dirs.substr(colon + 1);
  }
  return fail(Code::kNotFound,
              "cocoon-agent is neither in {} nor in PATH (set [sandbox] agent_binary)",
              self_dir.string());
}

Result<std::unique_ptr<Sandbox>> startProcessSandbox(const config::RuntimeConfig& config,
                                                     const SandboxSpec& spec,
                                                     const StartContext& context) {
  COCOON_LOG(kWarn, "sandbox",
             "sandbox {}: backend \"process\": the agent runs on the host, no VM and no TEE "
             "(development only)",
             spec.id);
  std::error_code ec;
  const fs::path self_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  COCOON_ASSIGN_OR_RETURN(fs::path agent, findAgentBinary(config.sandbox.agent_binary, self_dir));
  const fs::path socket = spec.run_dir / "agent.sock";
  COCOON_ASSIGN_OR_RETURN(ttrpc::Address address, ttrpc::parseAddress("unix:" + socket.string()));
  std::vector<std::string> argv = {agent.string(),
                                   "--listen",
                                   address.toString(),
                                   "--oci-runtime",
                                   config.sandbox.oci_runtime.string(),
                                   "--state-dir",
                                   (spec.run_dir / "state").string()};
  if (!config.sandbox.agent_config.empty()) {
    argv.insert(argv.end(), {"--config", config.sandbox.agent_config.string()});
  }
  if (config.sandbox.permissive_policy) {
    argv.emplace_back("--permissive-policy");
  } else if (!config.policy.agent.empty()) {
    argv.insert(argv.end(), {"--policy", config.policy.agent.string()});
  }
  COCOON_ASSIGN_OR_RETURN(pid_t pid, spawn(argv, context.console_log));
  auto sandbox = std::make_unique<ProcessSandbox>(pid, spec.run_dir, context.console_log, address);
  const auto deadline = context.began + config.timeouts.boot;
  Status ready = waitAgentServing(address, deadline, [&] { return sandbox->exitStatus(); });
  if (!ready) {
    (void)sandbox->stop(milliseconds(0));
    return fail(ready.error().code, "sandbox {}: {}; agent output:\n{}", spec.id,
                ready.error().message, sandbox->diagnostics());
  }
  sandbox->setReady(
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - context.began));
  return std::unique_ptr<Sandbox>(std::move(sandbox));
}

}  // namespace cocoon::runtime::sandbox::internal
