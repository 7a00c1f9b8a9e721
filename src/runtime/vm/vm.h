// SPDX-License-Identifier: Apache-2.0
// Vm: one running sandbox VM (a QEMU process) with its QMP connection, console log and
// run directory; launched from a VmConfig, shut down gracefully or killed, never leaked.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/result.h"
#include "runtime/vm/vm_config.h"

namespace cocoon::runtime::vm {

// Durations since launch began (fork of QEMU); unset until the event happened.
struct BootTimeline {
  std::chrono::steady_clock::time_point launched{};
  // QEMU answered on QMP: its sockets (the agent channel among them) exist.
  std::optional<std::chrono::milliseconds> qemu_ready;
  // The guest wrote its first complete line on the serial console.
  std::optional<std::chrono::milliseconds> first_console_line;
  // The guest opened the agent channel port (QMP VSERPORT_CHANGE, open=true).
  std::optional<std::chrono::milliseconds> channel_ready;
};

// How shutdown ended QEMU.
enum class ShutdownHow : std::uint8_t {
  kAlreadyExited,  // QEMU had exited before (guest poweroff, panic, crash)
  kPowerdown,      // the guest powered off after QMP system_powerdown
  kQuit,           // QMP quit after the grace period
  kKilled,         // SIGKILL: QEMU did not answer quit
};

struct ShutdownResult {
  ShutdownHow how = ShutdownHow::kKilled;
  // QEMU's wait status, described ("exit status 0", "killed by signal 9").
  std::string qemu_status;
};

// Owns the QEMU process. Not thread-safe: one owner drives it. Destroying a Vm that is
// still running SIGKILLs QEMU, reaps it and removes the run directory, so nothing stays
// running once the object is gone. QEMU outlives this process only if the process itself
// is killed (its pid stays in <run_dir>/qemu.pid for whoever cleans up).
class Vm {
 public:
  // Resolves the accelerator (resolveAccel with kvmUsable), creates run_dir (mode 0700;
  // it must not exist), the scratch disk (sparse raw file, or qemu-img for qcow2), starts
  // the TEE's helper (output in <run_dir>/helper.log) and waits for the sockets QEMU will
  // connect to (up to startup_timeout; kUnavailable or kDeadlineExceeded), starts
  // QEMU with QMP and the console on socket pairs, and returns once QEMU has answered on
  // QMP, which means the agent channel socket exists. The guest is booting then; see
  // waitChannelReady.
  // Errors: those of qemuCommandLine (kInvalidArgument); kAlreadyExists when run_dir
  // exists; kNotFound when
  // the QEMU binary is missing; kUnavailable with QEMU's stderr when QEMU exited during
  // startup; kDeadlineExceeded when QMP did not answer within startup_timeout; errno
  // codes for the run directory and disk. Nothing is left behind on failure.
  // With the vsock channel it first reserves a guest CID on /dev/vhost-vsock
  // (kUnavailable without it) and hands QEMU that fd; there is then no agent socket.
  static Result<std::unique_ptr<Vm>> launch(const VmConfig& requested);

  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  // Waits until the guest opens the agent channel port (the agent, or a test init, is up
  // and holds the port: bytes sent before that are dropped by QEMU); with vsock, until a
  // connect to the agent's port (kAgentVsockPort) succeeds.
  // Errors: kDeadlineExceeded after `timeout`; kUnavailable with the console tail when
  // QEMU exited (the guest powered off or crashed); kFailedPrecondition after shutdown.
  Status waitChannelReady(std::chrono::milliseconds timeout);

  // Ends the VM: QMP system_powerdown, up to `grace` for the guest to power off, then QMP
  // quit, then SIGKILL; reaps QEMU, stops the console reader and removes run_dir. The
  // console log is kept. Calling it again returns the first result.
  // Errors: kInternal only when the run directory cannot be removed (QEMU is gone).
  Result<ShutdownResult> shutdown(std::chrono::milliseconds grace);

  // Whether QEMU is still running (reaps it if it has exited).
  bool running();
  pid_t qemuPid() const;
  Accel accel() const { return accel_; }
  // The virtio-serial channel's unix socket (empty with vsock).
  const std::filesystem::path& agentSocket() const { return agent_socket_; }
  // The guest's CID with the vsock channel (its agent is at vsock:CID:kAgentVsockPort);
  // 0 with virtio-serial.
  std::uint32_t guestCid() const;
  BootTimeline timeline() const;
  // The last console bytes (at most 4 KiB).
  std::string consoleTail() const;

 private:
  struct State;
  explicit Vm(std::unique_ptr<State> state, Accel accel, std::filesystem::path agent_socket);
  Status waitVsockListening(std::chrono::milliseconds timeout);

  std::unique_ptr<State> state_;
  Accel accel_;
  std::filesystem::path agent_socket_;
};

}  // namespace cocoon::runtime::vm
