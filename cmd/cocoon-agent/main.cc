// SPDX-License-Identifier: Apache-2.0
// cocoon-agent: the guest agent serving the Kata agent API over ttrpc (issue #8); as the
// guest's PID 1 it also mounts the early filesystems, loads modules and, at the end, resets
// the guest (which ends the VM: the launcher runs QEMU with -no-reboot).
//
// Exit statuses: 0 stopped by SIGTERM/SIGINT or DestroySandbox; 1 a runtime failure
// (listen, runtime binary); 2 a usage or configuration error; 70 an internal error. As
// PID 1 it never exits: it powers the guest off instead.
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <sched.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <future>
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
#include "agent/guest_memory.h"
#include "agent/initdata.h"
#include "agent/storage/scratch_store.h"
#include "common/files.h"
#include "common/log.h"
#include "common/unique_fd.h"

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
  std::optional<std::string> init_data_file;
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

// As PID 1, the modules only containers and the store need, by path (guest/build-guest.sh);
// guest/init.sh loaded those the agent needs to serve.
constexpr char kStoreModules[] = "/etc/cocoon/modules";

// As PID 1 without --listen, the server listens here and relayPort() joins the
// virtio-serial port to it.
constexpr char kRelaySocket[] = "/run/cocoon/agent-channel.sock";

// Whether the relay has a session's connection open: once the server has closed them all,
// its last answers (DestroySandbox's) have reached the port.
std::atomic<bool> relay_session_open{false};

struct Listen {
  std::vector<ttrpc::Address> addresses;
  std::optional<std::filesystem::path> relay_port;  // the virtio-serial port to relay
};

Result<Listen> listenAddresses(const Flags& flags, bool pid1) {
  Listen out;
  for (const std::string& text : flags.listen) {
    COCOON_ASSIGN_OR_RETURN(ttrpc::Address address, ttrpc::parseAddress(text));
    out.addresses.push_back(std::move(address));
  }
  if (out.addresses.empty()) {
    if (!pid1) {
      return fail(Code::kInvalidArgument, "no --listen address (needed unless PID 1)");
    }
    // The host's runtime gives the VM either a vsock device (where it has vhost-vsock) or
    // the virtio-serial port; serve whichever is there.
    const bool vsock = agent::hasVirtioDevice(agent::kVirtioVsockDeviceId);
    if (vsock) {
      out.addresses.push_back({.kind = ttrpc::Address::Kind::kVsock,
                               .cid = VMADDR_CID_ANY,
                               .port = agent::kAgentVsockPort});
    }
    // guest/init.sh names the ports as udev would; findVirtioPort is for other inits.
    const std::filesystem::path named =
        std::filesystem::path("/dev/virtio-ports") / agent::kAgentChannelPortName;
    std::error_code ec;
    if (std::filesystem::exists(named, ec)) {
      out.relay_port = std::filesystem::canonical(named, ec);
    }
    if (!out.relay_port || ec) {
      auto found = agent::findVirtioPort(agent::kAgentChannelPortName);
      if (!found && !vsock) {
        return fail(std::move(found).error().addContext("no vsock device either"));
      }
      out.relay_port = found ? std::optional(*found) : std::nullopt;
    }
    if (out.relay_port) {
      std::filesystem::create_directories(std::filesystem::path(kRelaySocket).parent_path(), ec);
      out.addresses.push_back({.kind = ttrpc::Address::Kind::kUnix, .path = kRelaySocket});
    }
  }
  return out;
}

bool writeAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EAGAIN) {
      // The port is full or the host is gone: wait a little, then give the session up.
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, 1000) != 1 || (pfd.revents & POLLOUT) == 0) {
        return false;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

UniqueFd connectRelaySocket() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, kRelaySocket, sizeof addr.sun_path - 1);
  if (!fd.valid() ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    COCOON_LOG(kError, "agent", "connect {}: {}", kRelaySocket, std::strerror(errno));
    return UniqueFd();
  }
  return fd;
}

// Joins the virtio-serial port to the agent's unix socket, one ttrpc connection per host
// session. The port stays open throughout: reopening it would drop what the host sent.
// virtio_console answers read() with 0 while no host process holds the socket QEMU listens
// on, so 0 bytes mean "no host yet (or any more)", not the end: the session's connection
// is closed and the port is read again after a short backoff.
[[noreturn]] void relayPort(const std::filesystem::path& port) {
  using std::chrono::milliseconds;
  constexpr milliseconds kFirstBackoff{2};
  constexpr milliseconds kMaxBackoff{50};
  UniqueFd port_fd;
  while (!port_fd.valid()) {
    port_fd = UniqueFd(::open(port.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!port_fd.valid()) {
      COCOON_LOG(kError, "agent", "open {}: {}", port.string(), std::strerror(errno));
      std::this_thread::sleep_for(milliseconds(500));
    }
  }
  COCOON_LOG(kInfo, "agent", "relaying {} to {}", port.string(), kRelaySocket);
  UniqueFd session;
  // Counted and logged so that a host call whose answer went missing can be traced to the
  // session that carried it (see runtime::AgentClient::confirmAnswering).
  unsigned sessions = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  auto end_session = [&](const char* why) {
    if (session.valid()) {
      COCOON_LOG(kInfo, "agent", "host session {} ended ({}): {} bytes in, {} out", sessions, why,
                 bytes_in, bytes_out);
    }
    session.reset();
    relay_session_open = false;
  };
  milliseconds backoff = kFirstBackoff;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    pollfd fds[2] = {{port_fd.get(), POLLIN, 0}, {session.get(), POLLIN, 0}};
    if (::poll(fds, session.valid() ? 2 : 1, -1) < 0) {
      continue;  // EINTR
    }
    if (fds[0].revents != 0) {
      const ssize_t n = ::read(port_fd.get(), buffer.data(), buffer.size());
      if (n == 0) {
        end_session("the host closed the port");
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      if (n > 0) {
        backoff = kFirstBackoff;
        if (!session.valid()) {
          session = connectRelaySocket();
          relay_session_open = session.valid();
          bytes_in = bytes_out = 0;
          if (session.valid()) {
            COCOON_LOG(kInfo, "agent", "host session {} started", ++sessions);
          }
        }
        bytes_in += static_cast<std::uint64_t>(n);
        if (session.valid() &&
            !writeAll(session.get(), buffer.data(), static_cast<std::size_t>(n))) {
          end_session("the agent's socket refused the bytes");
        }
      }
    }
    if (session.valid() && fds[1].revents != 0) {
      const ssize_t n = ::read(session.get(), buffer.data(), buffer.size());
      if (n <= 0) {
        end_session("the agent closed it");
      } else if (!writeAll(port_fd.get(), buffer.data(), static_cast<std::size_t>(n))) {
        end_session("the port refused an answer");
      } else {
        bytes_out += static_cast<std::uint64_t>(n);
      }
    }
  }
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

// As PID 1: loads the store's modules and sets up the encrypted store on a thread of its
// own; the future is ready once the store is (or has failed, recorded in state_dir).
std::shared_future<void> startGuestStore(const agent::AgentConfig& config) {
  // The store's modules (ext4, device-mapper, ...) and the store itself take a second or
  // more under TCG and only CreateContainer needs them: the agent serves meanwhile, and
  // CreateContainer waits (AgentServiceOptions::store_ready). The thread ends with the
  // guest: PID 1 never exits, it resets the VM.
  std::promise<void> done;
  std::shared_future<void> ready = done.get_future().share();
  std::thread([state_dir = config.state_dir, runtime = config.oci_runtime,
               done = std::move(done)]() mutable {
    // SCHED_IDLE: the guest has one vCPU by default, and the rest of the agent's start
    // and the host's first requests should not share it with this thread (Linux applies
    // the policy to the calling thread; mke2fs inherits it).
    const sched_param idle{};
    if (::sched_setscheduler(0, SCHED_IDLE, &idle) != 0) {
      COCOON_LOG(kWarn, "agent", "store thread: SCHED_IDLE: {}", std::strerror(errno));
    }
    logSteps(agent::loadKernelModules(kStoreModules));
    const auto store = agent::storage::setupGuestStore(state_dir);
    if (store.status) {
      COCOON_LOG(kInfo, "agent", "{}", store.summary);
    } else {
      COCOON_LOG(kError, "agent", "{}; guest pulls are refused", store.summary);
    }
    done.set_value();
    // The probe Supervisor::create skips as PID 1, for the console.
    if (auto version = agent::container::probeRuntime(runtime, std::chrono::seconds(30))) {
      COCOON_LOG(kInfo, "agent", "OCI runtime {}: {}", runtime.string(), *version);
    } else {
      COCOON_LOG(kError, "agent", "{}; containers will fail", version.error().toString());
    }
  }).detach();
  return ready;
}

int run(const Flags& flags, std::chrono::steady_clock::time_point started, bool pid1) {
  auto log_options = resolveLogOptions(flags.log_level);
  if (!log_options || !initLogging(*log_options)) {
    std::fprintf(stderr, "cocoon-agent: bad log settings\n");
    return kExitUsage;
  }
  if (pid1) {
    logSteps(agent::mountGuestFilesystems());
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
  std::shared_future<void> store_ready;
  if (pid1) {
    store_ready = startGuestStore(config);
  }
  // The owner's init-data overrides the image's settings and policy; when present but
  // unusable, every request is refused with the reason (fail closed).
  agent::InitDataSources init_sources{.file = flags.init_data_file, .search_disks = pid1};
  if (!pid1) {
    init_sources.cmdline.clear();
  } else {
    init_sources.binding.emplace();  // a TPM's PCR 8 (tee from [kbc], /dev/tpmrm0)
  }
  agent::InitDataOutcome init_data = agent::loadGuestInitData(init_sources, config);
  if (init_data.refusal) {
    COCOON_LOG(kError, "agent", "{}; every agent request is refused", *init_data.refusal);
  }
  auto policy = init_data.policy ? Result<agent::policy::AgentPolicy>(std::move(*init_data.policy))
                                 : loadPolicy(flags);
  if (!policy) {
    COCOON_LOG(kError, "agent", "agent policy: {}", policy.error().toString());
    return kExitUsage;
  }
  auto listen = listenAddresses(flags, pid1);
  if (!listen) {
    COCOON_LOG(kError, "agent", "{}", listen.error().toString());
    return kExitUsage;
  }
  const std::vector<ttrpc::Address>* addresses = &listen->addresses;

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

  auto supervisor = agent::container::Supervisor::create(io.get_executor(),
                                                         {.runtime_binary = config.oci_runtime,
                                                          .state_dir = config.state_dir / "runtime",
                                                          .probe_runtime = !pid1});
  if (!supervisor) {
    COCOON_LOG(kError, "agent", "OCI runtime: {}", supervisor.error().toString());
    return finish(kExitRuntime);
  }
  agent::AgentServiceOptions options;
  options.config = config;
  options.version = COCOON_VERSION;
  options.init_daemon = pid1;
  options.refusal = init_data.refusal.value_or("");
  options.store_ready = store_ready;
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
  if (listen->relay_port) {
    // Runs until power-off: the guest has no other way to reach the host.
    std::thread([port = *listen->relay_port] { relayPort(port); }).detach();
    where += " <- " + listen->relay_port->string();
  }
  COCOON_LOG(kInfo, "agent", "cocoon-agent ready in {}.{:03} ms on {} (policy {}{})",
             ready_us / 1000, ready_us % 1000, where, policy_id, pid1 ? ", PID 1" : "");
  if (auto memory = agent::readGuestMemory()) {
    COCOON_LOG(kInfo, "agent", "memory when ready: {}", memory->describe());
  }

  const Stop why = latch.wait();
  COCOON_LOG(kInfo, "agent", "stopping ({})", why == Stop::kSignal ? "signal" : "DestroySandbox");
  server.stop(std::chrono::seconds(5));
  if (listen->relay_port) {
    // Let the relay forward the last answers before the guest powers off.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (relay_session_open && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
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
        "agent.channel.0 when no --listen is given, and ends the VM on DestroySandbox (a "
        "reset: QEMU runs with -no-reboot).\n"
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
    app.add_option("--init-data", flags.init_data_file,
                   "The owner's init-data: a block image or TOML document (default as PID 1: "
                   "the disk with serial \"initdata\"; see docs/initdata.md)");
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
    // PID 1 must not exit (the kernel would panic): end the guest instead. A reset, not a
    // power-off: the launcher runs QEMU with -no-reboot, so a reset ends the VM, while a
    // power-off needs ACPI, which PVH boot with a TPM leaves the kernel without (it then
    // only halts, and QEMU keeps running until the host gives up waiting).
    ::sync();
    ::reboot(RB_AUTOBOOT);
    std::fprintf(stderr, "cocoon-agent: reboot failed: %s\n", std::strerror(errno));
    for (;;) {
      ::pause();
    }
  }
  return status;
}
