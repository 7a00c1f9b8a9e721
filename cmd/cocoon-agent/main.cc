// SPDX-License-Identifier: Apache-2.0
// cocoon-agent: the guest agent serving the Kata agent API over ttrpc (issue #8); as the
// guest's PID 1 it also mounts the early filesystems, loads modules and powers off.
//
// Exit statuses: 0 stopped by SIGTERM/SIGINT or DestroySandbox; 1 a runtime failure
// (listen, runtime binary); 2 a usage or configuration error; 70 an internal error. As
// PID 1 it never exits: it powers the guest off instead.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/agent_service.h"
#include "agent/config.h"
#include "agent/guest_init.h"
#include "common/files.h"
#include "common/log.h"

namespace {

namespace asio = boost::asio;
using namespace cocoon;  // NOLINT(google-build-using-namespace): main() of a thin binary

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 70;

struct Flags {
  std::vector<std::string> listen;
  std::optional<std::string> oci_runtime;
  std::optional<std::string> policy_file;
  bool permissive = false;
  std::optional<std::string> state_dir;
  std::optional<std::string> config_file;
  std::optional<std::string> log_level;
  unsigned threads = 2;
};

// What ended the agent.
enum class Stop : std::uint8_t { kSignal, kDestroySandbox };

class StopLatch {
 public:
  void set(Stop why) {
    std::lock_guard lock(mutex_);
    if (!why_) {
      why_ = why;
    }
    changed_.notify_all();
  }
  Stop wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return why_.has_value(); });
    return *why_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Stop> why_;
};

Result<agent::policy::AgentPolicy> loadPolicy(const Flags& flags) {
  if (flags.permissive) {
    COCOON_LOG(kWarn, "agent",
               "--permissive-policy: every agent API request is allowed (development only)");
    return agent::policy::parseAgentPolicy(agent::policy::permissiveDevelopmentPolicyText());
  }
  if (flags.policy_file) {
    COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(*flags.policy_file, 1 << 20));
    return agent::policy::parseAgentPolicy(text);
  }
  return agent::policy::parseAgentPolicy(agent::policy::confidentialDefaultPolicyText());
}

Result<std::vector<ttrpc::Address>> listenAddresses(const Flags& flags, bool pid1) {
  std::vector<ttrpc::Address> out;
  for (const std::string& text : flags.listen) {
    COCOON_ASSIGN_OR_RETURN(ttrpc::Address address, ttrpc::parseAddress(text));
    out.push_back(std::move(address));
  }
  if (out.empty()) {
    if (!pid1) {
      return fail(Code::kInvalidArgument, "no --listen address (needed unless PID 1)");
    }
    COCOON_ASSIGN_OR_RETURN(std::filesystem::path port,
                            agent::findVirtioPort(agent::kAgentChannelPortName));
    out.push_back({.kind = ttrpc::Address::Kind::kSerial, .path = port.string()});
  }
  return out;
}

void logSteps(const std::vector<agent::InitStep>& steps) {
  for (const auto& step : steps) {
    if (step.status) {
      COCOON_LOG(kDebug, "agent", "{}: ok", step.what);
    } else {
      COCOON_LOG(kWarn, "agent", "{}: {}", step.what, step.status.error().toString());
    }
  }
}

int run(const Flags& flags, std::chrono::steady_clock::time_point started, bool pid1) {
  auto log_options = resolveLogOptions(flags.log_level);
  if (!log_options || !initLogging(*log_options)) {
    std::fprintf(stderr, "cocoon-agent: bad log settings\n");
    return kExitUsage;
  }
  if (pid1) {
    logSteps(agent::mountGuestFilesystems());
    logSteps(agent::loadKernelModules("/etc/cocoon/modules"));
  }
  agent::AgentConfig config;
  if (flags.config_file) {
    auto loaded = agent::loadAgentConfig(*flags.config_file);
    if (!loaded) {
      COCOON_LOG(kError, "agent", "{}", loaded.error().toString());
      return kExitUsage;
    }
    config = std::move(*loaded);
  }
  if (flags.oci_runtime) {
    config.oci_runtime = *flags.oci_runtime;
  }
  if (flags.state_dir) {
    config.state_dir = *flags.state_dir;
  }
  auto policy = loadPolicy(flags);
  if (!policy) {
    COCOON_LOG(kError, "agent", "agent policy: {}", policy.error().toString());
    return kExitUsage;
  }
  auto addresses = listenAddresses(flags, pid1);
  if (!addresses) {
    COCOON_LOG(kError, "agent", "{}", addresses.error().toString());
    return kExitUsage;
  }

  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  StopLatch latch;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      latch.set(Stop::kSignal);
    }
  });
  auto finish = [&](int status) {
    signals.cancel();
    guard.reset();
    io.stop();
    io_thread.join();
    return status;
  };

  auto supervisor = agent::container::Supervisor::create(
      io.get_executor(),
      {.runtime_binary = config.oci_runtime, .state_dir = config.state_dir / "runtime"});
  if (!supervisor) {
    COCOON_LOG(kError, "agent", "OCI runtime: {}", supervisor.error().toString());
    return finish(kExitRuntime);
  }
  agent::AgentServiceOptions options;
  options.config = config;
  options.version = COCOON_VERSION;
  options.init_daemon = pid1;
  options.on_destroy_sandbox = [&latch] { latch.set(Stop::kDestroySandbox); };
  const std::string policy_id = policy->id();
  auto service = agent::AgentService::create(**supervisor, std::move(*policy), std::move(options));
  if (!service) {
    COCOON_LOG(kError, "agent", "{}", service.error().toString());
    return finish(kExitRuntime);
  }
  ttrpc::Server server({.threads = flags.threads});
  Status ready = (*service)->registerOn(server);
  for (const auto& address : *addresses) {
    if (ready) {
      ready = server.listen(address);
    }
  }
  if (ready) {
    ready = server.start();
  }
  if (!ready) {
    COCOON_LOG(kError, "agent", "{}", ready.error().toString());
    server.stop();
    return finish(kExitRuntime);
  }
  const auto ready_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  std::string where;
  for (const auto& address : *addresses) {
    where += (where.empty() ? "" : ", ") + address.toString();
  }
  COCOON_LOG(kInfo, "agent", "cocoon-agent ready in {}.{:03} ms on {} (policy {}{})",
             ready_us / 1000, ready_us % 1000, where, policy_id, pid1 ? ", PID 1" : "");

  const Stop why = latch.wait();
  COCOON_LOG(kInfo, "agent", "stopping ({})", why == Stop::kSignal ? "signal" : "DestroySandbox");
  server.stop(std::chrono::seconds(5));
  if (why == Stop::kSignal) {
    // Containers do not outlive the agent that could report on them.
    auto removed =
        asio::co_spawn(io, (*supervisor)->removeAll(std::chrono::seconds(5)), asio::use_future);
    removed.wait();
  }
  service->reset();
  return finish(0);
}

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  const bool pid1 = ::getpid() == 1;
  int status = kExitInternal;
  try {
    CLI::App app{
        "cocoon-agent — the guest agent: serves the Kata agent API (grpc.AgentService, "
        "grpc.Health) over ttrpc, checks every request against the agent policy, pulls "
        "images in the guest and runs containers with an OCI runtime.\n"
        "As PID 1 it also mounts /proc, /sys, /dev, /run, /tmp and cgroup2, loads the "
        "modules listed in /etc/cocoon/modules, listens on the virtio-serial port "
        "agent.channel.0 when no --listen is given, and powers off on DestroySandbox.\n"
        "Exit statuses: 0 stopped, 1 runtime failure, 2 usage/config error, 70 internal."};
    app.set_version_flag("--version", std::string("cocoon-agent ") + COCOON_VERSION);
    Flags flags;
    app.add_option("--listen", flags.listen,
                   "unix:PATH | vsock:CID:PORT | serial:PATH (repeatable; vsock CID is "
                   "usually 4294967295 = any)");
    app.add_option("--oci-runtime", flags.oci_runtime,
                   "OCI runtime binary (default: the config's oci_runtime, /usr/bin/crun)");
    auto* policy = app.add_option("--policy", flags.policy_file,
                                  "Agent policy file (default: the confidential default)");
    app.add_flag("--permissive-policy", flags.permissive,
                 "Allow every request (development only; logged as a warning)")
        ->excludes(policy);
    app.add_option("--state-dir", flags.state_dir,
                   "Bundles, layer store and runtime state (default /run/cocoon/agent)");
    app.add_option("--config", flags.config_file, "Agent config file (TOML; see docs/agent.md)");
    app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off");
    app.add_option("--threads", flags.threads, "ttrpc server threads")->check(CLI::Range(1u, 64u));
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      status = app.exit(e);
      if (!pid1) {
        return status;
      }
      flags = Flags{};  // PID 1 with a bad command line: carry on with the defaults
    }
    status = run(flags, started, pid1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon-agent: internal error: %s\n", e.what());
    status = kExitInternal;
  }
  if (pid1) {
    // PID 1 must not exit (the kernel would panic): end the guest instead.
    Status off = agent::powerOff();
    std::fprintf(stderr, "cocoon-agent: power off failed: %s\n", off.error().toString().c_str());
    for (;;) {
      ::pause();
    }
  }
  return status;
}
