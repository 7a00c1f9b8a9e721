// SPDX-License-Identifier: Apache-2.0
// Vm: launch, readiness, shutdown and teardown of one QEMU process.
#include "runtime/vm/vm.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/files.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "common/sys_error.h"
#include "runtime/vm/internal/child_process.h"
#include "runtime/vm/internal/console_reader.h"
#include "runtime/vm/internal/qmp_client.h"
#include "runtime/vm/internal/tee_helper.h"
#include "runtime/vm/internal/vhost_vsock.h"

namespace cocoon::runtime::vm {

using Clock = std::chrono::steady_clock;

struct Vm::State {
  std::filesystem::path run_dir;
  // Set once QEMU has been spawned.
  std::optional<internal::ChildProcess> qemu;
  // The TEE's helper (swtpm), started before QEMU and ended after it.
  std::optional<internal::ChildProcess> helper;
  std::unique_ptr<internal::QmpClient> qmp;
  std::unique_ptr<internal::ConsoleReader> console;
  BootTimeline timeline;
  std::optional<ShutdownResult> shutdown_result;
  std::uint32_t guest_cid = 0;  // vsock channel only

  // Kills whatever still runs and removes run_dir; safe to call on any path.
  void teardown() noexcept {
    if (qemu) {
      qemu->killAndReap();
    }
    if (helper) {
      helper->killAndReap();
    }
    if (console) {
      console->stop();
    }
    qmp.reset();
    if (!run_dir.empty()) {
      if (auto removed = removeAll(run_dir); !removed) {
        COCOON_LOG(kWarn, "vm", "removing run dir: {}", removed.error());
      }
    }
  }
};

namespace {

const char kComponent[] = "vm";
// How long QEMU gets to exit after QMP quit before it is killed.
constexpr std::chrono::milliseconds kQuitWait{2000};

std::chrono::milliseconds sinceLaunch(const BootTimeline& timeline, Clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - timeline.launched);
}

Status createScratchDisk(const VmConfig& config) {
  const std::filesystem::path path = scratchDiskPath(config);
  if (config.scratch_disk_format == DiskFormat::kQcow2) {
    COCOON_ASSIGN_OR_RETURN(
        const SubprocessResult created,
        runSubprocess({.argv = {"qemu-img", "create", "-q", "-f", "qcow2", path.string(),
                                std::to_string(config.scratch_disk_bytes)},
                       .timeout = std::chrono::seconds(30)}));
    if (created.exit_code != 0) {
      return fail(Code::kInternal, "qemu-img create {} failed: {}", path.string(),
                  created.stderr_data.substr(0, 500));
    }
    return okStatus();
  }
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return fail(errnoError(errno, "creating scratch disk " + path.string()));
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(config.scratch_disk_bytes)) != 0) {
    return fail(errnoError(errno, "sizing scratch disk " + path.string()));
  }
  return okStatus();
}

// Read-only for QEMU too (it opens the drive readonly=on): the owner's document is never
// changed after its digest was bound.
Status writeInitDataDisk(const VmConfig& config) {
  return writeFileAtomic(initDataDiskPath(config), config.init_data_block, 0400);
}

std::string readQemuLog(const std::filesystem::path& run_dir) {
  auto text = readTextFile(run_dir / "qemu.log", 64 * 1024);
  return text ? *text : std::string();
}

}  // namespace

Vm::Vm(std::unique_ptr<State> state, Accel accel, std::filesystem::path agent_socket)
    : state_(std::move(state)), accel_(accel), agent_socket_(std::move(agent_socket)) {}

Vm::~Vm() {
  if (state_ && !state_->shutdown_result) {
    state_->teardown();
  }
}

Result<std::unique_ptr<Vm>> Vm::launch(const VmConfig& requested) {
  const Accel accel = resolveAccel(requested.accel, kvmUsable);
  VmConfig config = requested;
  std::optional<internal::ReservedCid> vsock;
  if (config.agent_channel == AgentChannel::kVsock) {
    COCOON_ASSIGN_OR_RETURN(vsock, internal::reserveGuestCid());
    config.guest_cid = vsock->cid;
  }
  COCOON_ASSIGN_OR_RETURN(const std::vector<std::string> argv, qemuCommandLine(config, accel));
  if (!config.run_dir.parent_path().empty()) {
    COCOON_TRY(createDirectories(config.run_dir.parent_path()));
  }
  if (::mkdir(config.run_dir.c_str(), 0700) != 0) {
    return fail(errnoError(errno, "creating run dir " + config.run_dir.string()));
  }
  auto state = std::make_unique<State>();
  state->run_dir = config.run_dir;
  // From here on every failure path tears down through `state`.
  const auto failed = [&state](Error error) {
    state->teardown();
    return fail(std::move(error));
  };

  if (config.scratch_disk_bytes > 0) {
    if (auto created = createScratchDisk(config); !created) {
      return failed(std::move(created).error());
    }
  }
  if (!config.init_data_block.empty()) {
    if (auto written = writeInitDataDisk(config); !written) {
      return failed(std::move(written).error());
    }
  }
  if (!config.tee.helper_command.empty()) {
    auto helper = internal::startTeeHelper(config.tee, config.run_dir / "helper.log",
                                           Clock::now() + config.startup_timeout);
    if (!helper) {
      return failed(std::move(helper).error().addContext("starting the TEE helper"));
    }
    state->helper.emplace(std::move(*helper));
  }
  int qmp_pair[2] = {-1, -1};
  int console_pair[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp_pair) != 0 ||
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console_pair) != 0) {
    const int err = errno;
    UniqueFd(qmp_pair[0]).reset();
    UniqueFd(qmp_pair[1]).reset();
    return failed(errnoError(err, "socketpair for QMP and console"));
  }
  UniqueFd qmp_ours(qmp_pair[0]);
  UniqueFd qmp_theirs(qmp_pair[1]);
  UniqueFd console_ours(console_pair[0]);
  UniqueFd console_theirs(console_pair[1]);
  const std::filesystem::path qemu_log = config.run_dir / "qemu.log";
  const UniqueFd log_fd(::open(qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log_fd.valid()) {
    return failed(errnoError(errno, "creating " + qemu_log.string()));
  }

  COCOON_LOG(kInfo, kComponent, "starting QEMU ({}, {}, {} MiB, {} vCPU) in {}",
             machineName(config.machine), accelName(accel), config.memory_mib, config.vcpus,
             config.run_dir.string());
  state->timeline.launched = Clock::now();
  std::vector<std::pair<int, int>> fds = {{qmp_theirs.get(), kQmpFd},
                                          {console_theirs.get(), kConsoleFd}};
  if (vsock) {
    fds.emplace_back(vsock->device.get(), kVhostVsockFd);
  }
  auto qemu = internal::ChildProcess::spawn(
      {.argv = argv, .fds = std::move(fds), .output_fd = log_fd.get()});
  // Only QEMU may hold its ends: EOF on ours then means QEMU is gone. QEMU's copy of the
  // vhost-vsock fd keeps the CID for as long as the VM runs.
  qmp_theirs.reset();
  console_theirs.reset();
  if (vsock) {
    vsock->device.reset();
  }
  if (!qemu) {
    return failed(std::move(qemu).error());
  }
  state->qemu.emplace(std::move(*qemu));
  auto console = internal::ConsoleReader::start(std::move(console_ours), config.console_log);
  if (!console) {
    return failed(std::move(console).error());
  }
  state->console = std::move(*console);
  state->qmp = std::make_unique<internal::QmpClient>(std::move(qmp_ours));

  if (auto ready = state->qmp->handshake(Clock::now() + config.startup_timeout); !ready) {
    // QEMU closing QMP means it exited: its stderr says why.
    (void)state->qemu->waitFor(std::chrono::milliseconds(1000));
    const std::string log = readQemuLog(config.run_dir);
    if (!state->qemu->running()) {
      return failed(makeError(Code::kUnavailable, "QEMU exited during startup ({}): {}",
                              internal::describeWaitStatus(*state->qemu->waitStatus()), log));
    }
    return failed(std::move(ready).error().addContext("QEMU startup: " + log));
  }
  state->timeline.qemu_ready = sinceLaunch(state->timeline, Clock::now());
  state->guest_cid = config.guest_cid;
  if (vsock) {
    COCOON_LOG(kInfo, kComponent, "QEMU pid {} ready after {} ms; agent channel vsock:{}:{}",
               state->qemu->pid(), state->timeline.qemu_ready->count(), config.guest_cid,
               kAgentVsockPort);
    return std::unique_ptr<Vm>(new Vm(std::move(state), accel, {}));
  }
  const std::filesystem::path agent_socket = agentSocketPath(config);
  struct stat st {};
  if (::stat(agent_socket.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return failed(makeError(Code::kInternal, "QEMU is up but agent socket {} is missing",
                            agent_socket.string()));
  }
  COCOON_LOG(kInfo, kComponent, "QEMU pid {} ready after {} ms; agent channel {}",
             state->qemu->pid(), state->timeline.qemu_ready->count(), agent_socket.string());
  return std::unique_ptr<Vm>(new Vm(std::move(state), accel, agent_socket));
}

std::uint32_t Vm::guestCid() const {
  return state_->guest_cid;
}

Status Vm::waitVsockListening(std::chrono::milliseconds timeout) {
  // No event says the guest listens on vsock: connect until it accepts. A booting guest
  // answers with a reset (or, before its driver is up, not at all, hence the short
  // connect timeout); the connection is closed again at once.
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto connected =
        internal::connectVsock(state_->guest_cid, kAgentVsockPort, std::chrono::milliseconds(500));
    if (connected) {
      break;
    }
    if (auto exited = state_->qemu->waitFor(std::chrono::milliseconds(0)); exited && *exited) {
      return fail(Code::kUnavailable,
                  "QEMU exited ({}) before the agent listened on vsock; "
                  "console: {}",
                  internal::describeWaitStatus(*state_->qemu->waitStatus()), consoleTail());
    }
    if (Clock::now() >= deadline) {
      return fail(Code::kDeadlineExceeded,
                  "the agent did not listen on vsock:{}:{} within {} ms (last: {})",
                  state_->guest_cid, kAgentVsockPort, timeout.count(),
                  connected.error().toString());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  state_->timeline.channel_ready = sinceLaunch(state_->timeline, Clock::now());
  COCOON_LOG(kInfo, kComponent, "the agent listens on vsock:{}:{} after {} ms", state_->guest_cid,
             kAgentVsockPort, state_->timeline.channel_ready->count());
  return okStatus();
}

Status Vm::waitChannelReady(std::chrono::milliseconds timeout) {
  if (state_->shutdown_result) {
    return fail(Code::kFailedPrecondition, "the VM has been shut down");
  }
  if (state_->guest_cid != 0) {
    return waitVsockListening(timeout);
  }
  const auto is_agent_port = [](const json::Json& data) {
    return data.value("id", std::string()) == kAgentPortId && data.value("open", false);
  };
  auto event = state_->qmp->waitEvent("VSERPORT_CHANGE", is_agent_port, Clock::now() + timeout);
  if (!event) {
    // A closed QMP socket means QEMU is exiting: give it a moment to be reaped.
    if (auto exited = state_->qemu->waitFor(std::chrono::milliseconds(1000)); exited && *exited) {
      return fail(Code::kUnavailable, "QEMU exited ({}) before the guest opened {}; console: {}",
                  internal::describeWaitStatus(*state_->qemu->waitStatus()), kAgentPortName,
                  consoleTail());
    }
    return fail(std::move(event).error().addContext(
        fmt::format("waiting for the guest to open {}", kAgentPortName)));
  }
  state_->timeline.channel_ready = sinceLaunch(state_->timeline, Clock::now());
  COCOON_LOG(kInfo, kComponent, "guest opened {} after {} ms", kAgentPortName,
             state_->timeline.channel_ready->count());
  return okStatus();
}

Result<ShutdownResult> Vm::shutdown(std::chrono::milliseconds grace) {
  if (state_->shutdown_result) {
    return *state_->shutdown_result;
  }
  ShutdownResult result;
  const auto exited_within = [this](std::chrono::milliseconds timeout) {
    auto exited = state_->qemu->waitFor(timeout);
    return exited && *exited;
  };
  const auto deadline = [](std::chrono::milliseconds timeout) { return Clock::now() + timeout; };
  if (exited_within(std::chrono::milliseconds(0))) {
    result.how = ShutdownHow::kAlreadyExited;
  } else if (state_->qmp->execute("system_powerdown", deadline(grace)) && exited_within(grace)) {
    result.how = ShutdownHow::kPowerdown;
  } else {
    // QEMU may exit before its reply to quit reaches us: judge by the exit, not the reply.
    (void)state_->qmp->execute("quit", deadline(kQuitWait));
    result.how = exited_within(kQuitWait) ? ShutdownHow::kQuit : ShutdownHow::kKilled;
  }
  state_->qemu->killAndReap();
  if (state_->helper) {
    // swtpm --terminate ends when QEMU closes its socket; give it that moment.
    (void)state_->helper->waitFor(kQuitWait);
    state_->helper->killAndReap();
  }
  result.qemu_status = internal::describeWaitStatus(state_->qemu->waitStatus().value_or(0));
  state_->console->stop();
  state_->qmp.reset();
  COCOON_TRY(removeAll(state_->run_dir));
  COCOON_LOG(kInfo, kComponent, "QEMU {} ended ({})", state_->qemu->pid(), result.qemu_status);
  state_->shutdown_result = result;
  return result;
}

bool Vm::running() {
  if (state_->shutdown_result) {
    return false;
  }
  auto exited = state_->qemu->waitFor(std::chrono::milliseconds(0));
  return exited && !*exited;
}

pid_t Vm::qemuPid() const {
  return state_->qemu->pid();
}

BootTimeline Vm::timeline() const {
  BootTimeline timeline = state_->timeline;
  if (state_->console) {
    if (const auto first = state_->console->firstLineAt()) {
      timeline.first_console_line = sinceLaunch(timeline, *first);
    }
  }
  return timeline;
}

std::string Vm::consoleTail() const {
  return state_->console ? state_->console->tail() : std::string();
}

}  // namespace cocoon::runtime::vm
