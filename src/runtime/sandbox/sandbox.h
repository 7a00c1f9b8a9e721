// SPDX-License-Identifier: Apache-2.0
// Sandbox: one pod's isolation boundary as the shim sees it — a (confidential) VM whose
// guest runs cocoon-agent — reduced to what the shim needs: the agent's ttrpc address on
// the host, the timeline of its start, diagnostics, and stopping it.
// Trust: the configuration is the node operator's; everything the agent says is the
// guest's and is checked by whoever reads it (the ttrpc client caps and decodes).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/config/config.h"
#include "runtime/vm/vm_config.h"
#include "ttrpc/address.h"

namespace cocoon::runtime::sandbox {

// Durations since startSandbox began; unset when the step did not happen (or has no
// meaning for the backend: a process sandbox has no VM and no console).
struct SandboxTimeline {
  // QEMU answered on QMP (its sockets exist).
  std::optional<std::chrono::milliseconds> vm_started;
  // The guest printed its first console line (kernel alive).
  std::optional<std::chrono::milliseconds> first_console_line;
  // The agent opened its channel (virtio-serial port open).
  std::optional<std::chrono::milliseconds> channel_open;
  // The agent answered grpc.Health/Check with SERVING.
  std::optional<std::chrono::milliseconds> agent_ready;
};

// What differs between two sandboxes on one node.
struct SandboxSpec {
  // The sandbox id (containerd's sandbox or task id): 1..64 of [A-Za-z0-9_.-].
  std::string id;
  // Per-sandbox state directory, created by startSandbox (mode 0700; must not exist) and
  // removed by stop(): QEMU's pid file and log, the agent socket, the scratch disk.
  std::filesystem::path run_dir;
  // Where the guest console (VM) or the agent's stderr (process) is appended; kept after
  // stop() for debugging. Empty: <run_dir>/../<id>.console.log.
  std::filesystem::path console_log;
  // The launch configuration for the guest (Kata init-data TOML: aa.toml, cdh.toml,
  // policy.json); empty: built from the runtime config's [kbs] and [policy] sections.
  // Bound into the measurement where the TEE allows (runtime/tee/initdata.h) and given to
  // the guest as a read-only disk with serial "initdata".
  std::string initdata_toml;
  // Extra guest network forwards (guest address:port -> host address:port), added to the
  // ones the runtime config names; the guest reaches nothing else.
  std::vector<vm::GuestForward> guest_forwards;
};

// A started sandbox. Not thread-safe: one owner (the shim's sandbox state) drives it.
// Destroying a Sandbox that was not stopped kills what it started (QEMU, swtpm, the agent
// process) and removes run_dir: nothing outlives the object.
class Sandbox {
 public:
  virtual ~Sandbox() = default;
  Sandbox() = default;
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Where the host reaches the guest agent (a unix socket under run_dir); the agent has
  // answered a health check on it when startSandbox returns.
  virtual const ttrpc::Address& agentAddress() const = 0;
  virtual SandboxTimeline timeline() const = 0;
  // The last lines of the console log (VM) or the agent's stderr (process), for error
  // messages when the agent stops answering.
  virtual std::string diagnostics() const = 0;
  // Whether the VM (or agent process) is still running.
  virtual bool running() = 0;
  // Ends the sandbox: the agent should already have been told DestroySandbox; waits up to
  // `grace` for the guest to power off (or the process to exit), then forces it (QMP
  // quit, then SIGKILL), reaps everything it started and removes run_dir.
  // Idempotent. Errors: kInternal when run_dir cannot be removed (nothing is running).
  virtual Status stop(std::chrono::milliseconds grace) = 0;
};

// Starts the sandbox the runtime config describes:
//   [sandbox] backend = "vm" (default): QEMU with the TEE that [tee] kind chooses
//     (runtime/tee chooseTee: "auto" picks the node's best TEE and never falls back to
//     none silently), the guest kernel and initrd of [hypervisor], the init-data, a scratch
//     disk of [sandbox] scratch_disk_mib; then waits (up to [timeouts] boot) for the
//     agent's channel and a SERVING health check.
//   backend = "process" (development only; logged as a warning): cocoon-agent started on
//     the host as an ordinary process (--listen unix:<run_dir>/agent.sock, the OCI runtime
//     of [sandbox] oci_runtime), no VM and no TEE, so that the shim and containerd
//     integration can be exercised without booting a guest.
// Errors: kInvalidArgument for a bad id or config; kAlreadyExists when run_dir exists;
// kNotFound when QEMU, the kernel, the initrd or the agent binary is missing;
// kFailedPrecondition when the chosen TEE is not available on this node;
// kDeadlineExceeded (with the console tail) when the agent did not answer in time;
// kUnavailable (with the console tail) when QEMU or the agent exited during start.
// Nothing is left running or on disk (except the console log) on failure.
Result<std::unique_ptr<Sandbox>> startSandbox(const config::RuntimeConfig& config,
                                              const SandboxSpec& spec);

}  // namespace cocoon::runtime::sandbox
