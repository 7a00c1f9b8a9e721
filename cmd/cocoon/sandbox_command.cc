// SPDX-License-Identifier: Apache-2.0
// `cocoon sandbox run IMAGE -- CMD...`: one sandbox from the runtime config (a VM with the
// agent, or the development process backend), one container pulled in the guest, its
// output and exit status relayed, the sandbox always stopped.
//
// Exit statuses: the container's (128+N for signal N); 125 when the sandbox or the
// container could not be run (as `docker run`); 128+N when signal N (SIGINT, SIGTERM)
// interrupted the command; 2 for usage errors.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cmd/cocoon/command.h"
#include "runtime/config/config.h"
#include "runtime/sandbox/container_run.h"
#include "runtime/sandbox/sandbox.h"

namespace cocoon::cli {
namespace {

namespace fs = std::filesystem;
namespace sb = runtime::sandbox;
using std::chrono::milliseconds;

constexpr int kExitRunFailed = 125;
// The guest side of --registry-forward: QEMU user networking's guestfwd address.
constexpr char kRegistryGuestAddress[] = "10.0.2.100";
constexpr std::uint16_t kRegistryGuestPort = 5000;

struct RunFlags {
  std::string config_file;
  std::string registry_forward;
  std::string id;
  std::string run_dir = "/run/cocoon/sandboxes";
  bool timeline = false;
  std::string image;
  std::vector<std::string> command;
};

Result<runtime::config::RuntimeConfig> loadConfig(const RunFlags& flags) {
  if (!flags.config_file.empty()) {
    return runtime::config::loadRuntimeConfig(flags.config_file);
  }
  std::error_code ec;
  const fs::path self_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  return runtime::config::findRuntimeConfig(std::getenv(runtime::config::kConfigEnv.data()),
                                            self_dir);
}

// Stops the sandbox once, from whichever thread gets there first (the run or a signal).
class Stopper {
 public:
  Stopper(sb::Sandbox& sandbox, milliseconds grace) : sandbox_(sandbox), grace_(grace) {}
  Status stop() {
    std::lock_guard lock(mutex_);
    if (!done_) {
      done_ = true;
      // The agent removes its containers and, in a VM, ends the guest.
      (void)sb::destroySandbox(sandbox_.agentAddress(), milliseconds(5000));
      result_ = sandbox_.stop(grace_);
    }
    return result_;
  }

 private:
  std::mutex mutex_;
  sb::Sandbox& sandbox_;
  milliseconds grace_;
  bool done_ = false;
  Status result_ = okStatus();
};

void printStep(bool enabled, const char* step, const std::optional<milliseconds>& at) {
  if (enabled && at) {
    std::fprintf(stderr, "timeline: %-20s %8lld ms\n", step, static_cast<long long>(at->count()));
  }
}

int runSandbox(RunFlags flags) {
  const auto began = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - began);
  };
  auto failed = [](const Error& e) {
    reportError(e);
    return kExitRunFailed;
  };
  auto config = loadConfig(flags);
  if (!config) {
    return failed(config.error());
  }
  sb::SandboxSpec spec;
  spec.id = flags.id.empty() ? "run-" + std::to_string(::getpid()) : flags.id;
  spec.run_dir = fs::path(flags.run_dir) / spec.id;
  std::error_code ec;
  fs::create_directories(flags.run_dir, ec);
  if (!flags.registry_forward.empty() && config->sandbox.backend == "vm") {
    const std::string text =
        fmt::format("{}:{}={}", kRegistryGuestAddress, kRegistryGuestPort, flags.registry_forward);
    auto forward = runtime::config::parseForward(text);
    if (!forward) {
      return failed(forward.error());
    }
    spec.guest_forwards.push_back({.guest_address = forward->guest_address,
                                   .guest_port = forward->guest_port,
                                   .host_address = forward->host_address,
                                   .host_port = forward->host_port});
    // The guest reaches the registry at the forward's guest side.
    if (flags.image.rfind(flags.registry_forward + "/", 0) == 0) {
      flags.image = fmt::format("{}:{}{}", kRegistryGuestAddress, kRegistryGuestPort,
                                flags.image.substr(flags.registry_forward.size()));
    }
  }

  // SIGINT/SIGTERM go to a thread that stops the sandbox (which ends the run), so that no
  // VM or agent outlives an interrupted command.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // how the run wakes the waiter when it is done
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto sandbox = sb::startSandbox(*config, spec);
  if (!sandbox) {
    return failed(sandbox.error());
  }
  const sb::SandboxTimeline t = (*sandbox)->timeline();
  printStep(flags.timeline, "vm started", t.vm_started);
  printStep(flags.timeline, "first console line", t.first_console_line);
  printStep(flags.timeline, "agent channel open", t.channel_open);
  printStep(flags.timeline, "agent ready", t.agent_ready);

  Stopper stopper(**sandbox, std::chrono::duration_cast<milliseconds>(config->timeouts.shutdown));
  std::atomic<int> interrupted{0};
  std::thread waiter([&] {
    int signal = 0;
    if (sigwait(&signals, &signal) == 0 && signal != SIGUSR1) {
      interrupted = signal;
      std::fprintf(stderr, "cocoon: %s: stopping the sandbox\n", strsignal(signal));
      (void)stopper.stop();
    }
  });

  std::mutex out_mutex;
  auto sink = [&](std::FILE* stream) {
    return [&out_mutex, stream](std::string_view data) {
      std::lock_guard lock(out_mutex);
      std::fwrite(data.data(), 1, data.size(), stream);
      std::fflush(stream);
    };
  };
  sb::ContainerRun run{.image = flags.image,
                       .command = flags.command,
                       .container_id = {},
                       .create_timeout = config->timeouts.image_pull,
                       .call_timeout = config->timeouts.create_container,
                       .on_stdout = sink(stdout),
                       .on_stderr = sink(stderr)};
  const milliseconds run_began = since();
  auto result = sb::runContainer((*sandbox)->agentAddress(), run);
  if (result) {
    printStep(flags.timeline, "pull+create", run_began + result->timeline.created);
    printStep(flags.timeline, "started", run_began + result->timeline.started);
    printStep(flags.timeline, "exited", run_began + result->timeline.exited);
  }
  Status stopped = stopper.stop();
  printStep(flags.timeline, "sandbox stopped", since());
  ::pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (interrupted != 0) {
    return 128 + interrupted;
  }
  if (!result) {
    return failed(Error{result.error().code, result.error().message + "\nsandbox diagnostics:\n" +
                                                 (*sandbox)->diagnostics()});
  }
  if (!stopped) {
    reportError(stopped.error());
  }
  return result->exit_status;
}

}  // namespace

void registerSandboxCommands(CLI::App& app, Action& action) {
  auto* sandbox = app.add_subcommand(
      "sandbox", "Sandboxes without containerd: start one from the runtime config, run in it.");
  sandbox->require_subcommand(1);
  auto flags = std::make_shared<RunFlags>();
  auto* run = sandbox->add_subcommand(
      "run",
      "Start a sandbox as the runtime config says ([sandbox] backend: a VM with cocoon-agent, "
      "or the development process backend), pull IMAGE in the guest, run CMD, relay its "
      "output, stop the sandbox (always, also on SIGINT/SIGTERM). Exit status: the "
      "container's (128+N for signal N); 125 when the sandbox or container could not be "
      "run; 128+N when signal N interrupted it; 2 for usage errors. See docs/guest.md.");
  run->add_option("--config", flags->config_file,
                  "Runtime config (default: $COCOON_CONFIG, else ../etc/cocoon/config.toml "
                  "next to this binary, else built-in defaults)");
  run->add_option("--registry-forward", flags->registry_forward,
                  "HOST:PORT of a registry on the host the guest reaches as 10.0.2.100:5000 "
                  "(vm backend); an IMAGE starting with HOST:PORT/ is rewritten to it");
  run->add_option("--id", flags->id, "Sandbox id (default run-<pid>)");
  run->add_option("--run-dir", flags->run_dir,
                  "Parent of the sandbox's run directory (default /run/cocoon/sandboxes)");
  run->add_flag("--timeline", flags->timeline,
                "Print the start timeline (VM started, agent ready, pull+create, start, exit) "
                "to stderr");
  run->add_option("image", flags->image, "Image reference, pulled by the agent")->required();
  run->add_option("command", flags->command, "Command and arguments (default: the image's)");
  run->callback([flags, &action] { action = [flags] { return runSandbox(*flags); }; });
}

}  // namespace cocoon::cli
