// SPDX-License-Identifier: Apache-2.0
// Supervisor: runs the sandbox's containers and exec'd processes with an OCI runtime
// binary (crun in the guest, runc where the test host needs it), relays their stdio through
// pipes or a pty, forwards signals, reports exit statuses and cleans up on removal.
// Trust: requests come from the agent service after its policy check, but every id and
// value still originates from the untrusted host: ids are validated here, output buffers
// are capped, and a slow or absent reader never blocks a container (output beyond the cap
// waits in the pipe, so the container blocks on write, as with kata).
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "json/json.h"

namespace cocoon::agent::container {

struct SupervisorOptions {
  // The OCI runtime binary (crun or runc; both take the same create/start/exec/kill/
  // delete/state/pause/resume/update/events command lines). Must exist.
  std::filesystem::path runtime_binary = "/usr/bin/crun";
  // The runtime's --root (its state), and the supervisor's own per-container state (pid
  // files, console sockets). Created if missing. Must belong to the supervisor alone:
  // it uses runtime/, containers/<id>/ (wiped on create and remove) and console/ below.
  std::filesystem::path state_dir = "/run/cocoon/containers";
  // Output of one stream kept in memory until read; beyond it the pipe is not drained.
  std::size_t max_buffered_output = 1u << 20;
  // Longest a runtime binary invocation may take before it is killed (kDeadlineExceeded).
  std::chrono::milliseconds runtime_timeout = std::chrono::seconds(30);
  // Whether create() runs probeRuntime. The guest's PID 1 leaves it to its background
  // thread: its image carries the runtime with its libraries, the probe took 165 ms of
  // boot under TCG, and a runtime that does not run fails the first container anyway.
  bool probe_runtime = true;
};

// Runs `<binary> --version` (at most `timeout`) and returns its first line.
// Errors: kNotFound (no such file), kUnavailable "OCI runtime B does not run: ..." when it
// cannot be started or exits non-zero.
Result<std::string> probeRuntime(const std::filesystem::path& binary,
                                 std::chrono::milliseconds timeout);

// A container to create: `bundle` holds the final config.json (runtime spec, already
// merged and checked by the agent) and the rootfs it names.
struct ContainerConfig {
  std::string id;  // [A-Za-z0-9][A-Za-z0-9_.-]{0,127}, like runc's ids
  std::filesystem::path bundle;
};

// A process to run inside a started container. `process` is an OCI runtime-spec
// "process" object (args, env, cwd, user, terminal, consoleSize, capabilities, ...).
struct ExecConfig {
  std::string container_id;
  std::string exec_id;  // same rules as container ids; unique within the container
  json::Json process;
};

enum class OutputStream : std::uint8_t { kStdout, kStderr };

// cgroup figures of one container (values the kernel does not offer stay 0). Read from the
// init's cgroup (found through /proc/<pid>/cgroup and /proc/self/mountinfo): cgroup v2
// files first (cpu.stat, memory.current/max, pids.current/max: our guests are pure v2),
// then, for figures still 0, the cgroup v1 controllers of hybrid hosts (cpuacct.usage and
// cpuacct.stat, memory.usage_in_bytes/limit_in_bytes, pids.current/max).
struct ContainerStats {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t cpu_user_ns = 0;
  std::uint64_t cpu_system_ns = 0;
  std::uint64_t memory_usage_bytes = 0;
  std::uint64_t memory_limit_bytes = 0;  // 0 = no limit
  std::uint64_t pids_current = 0;
  std::uint64_t pids_limit = 0;  // 0 = no limit
};

enum class ContainerStatus : std::uint8_t { kCreated, kRunning, kPaused, kStopped };

// The exit status of a process as the Kata agent API reports it: the exit code, or
// 128 + the signal number for a process killed by a signal.
using ExitStatus = std::int32_t;

// Process ids below: an empty exec_id means the container's init process.
//
// Common errors of every call: kInvalidArgument for a malformed id; kNotFound for an
// unknown container or exec id; kFailedPrecondition for a call that does not fit the
// state (start of a running container, exec in a stopped one, stdin on a process without
// stdin); kInternal/kUnavailable naming the runtime command and its stderr when the
// runtime binary fails; kDeadlineExceeded when it hangs past options.runtime_timeout.
//
// Reaping: the supervisor makes the process a child subreaper, tracks every process it
// started through a pidfd and reaps only those (common/subprocess waits on its own pids;
// nothing may call waitpid(-1)). Orphans that nobody tracks (the agent as PID 1 inherits
// the whole guest's) are reaped by a periodic sweep, but only once seen as zombies on two
// consecutive sweeps at least a second apart, so a pid that another component is about to
// reap is never taken.
//
// Threading: all members may be called concurrently from coroutines on any executor; the
// awaitables complete on the caller's executor. Internally every call runs on one strand
// of the executor given to create(), which must keep running while calls are pending.
//
// Lifetime: destroying the Supervisor stops the reaper; call removeAll() first, or the
// containers keep running untracked (their stdio is closed once the executor runs down).
class Supervisor {
 public:
  // Checks the runtime binary (it exists; probeRuntime unless options.probe_runtime is
  // false), creates the state dirs
  // (state_dir/runtime, /containers, /console) and starts the reaper on `executor`.
  // Process-wide effects: makes this process a child subreaper (PR_SET_CHILD_SUBREAPER),
  // and sets SIGPIPE to ignored if it was at its default, so that a write to a stdin the
  // process closed fails with EPIPE instead of killing the agent.
  // Errors: kNotFound (no runtime binary), kUnavailable (it does not run),
  // kPermissionDenied (state dir not writable), or the errno code of a failing mkdir.
  static Result<std::unique_ptr<Supervisor>> create(boost::asio::any_io_executor executor,
                                                    SupervisorOptions options);
  virtual ~Supervisor() = default;

  // `runtime create`: the init process exists, stopped before the user's program. Its
  // stdio is ours: pipes, or with process.terminal in config.json a pty whose master
  // the runtime sends over a console socket. Errors: kAlreadyExists for a live id;
  // kInvalidArgument when bundle/config.json is unreadable or has no process object.
  virtual boost::asio::awaitable<Status> createContainer(ContainerConfig config) = 0;
  // `runtime start`: the user's program runs. kFailedPrecondition unless created.
  virtual boost::asio::awaitable<Status> startContainer(std::string container_id) = 0;
  // `runtime exec --detach`: another process in the container (stdio as for create,
  // from process.terminal). kFailedPrecondition unless running; kAlreadyExists for an
  // exec id in use; kInvalidArgument when `process` is not an object.
  virtual boost::asio::awaitable<Status> execProcess(ExecConfig config) = 0;
  // Delivers `signal` (1..64) to the process; with `all` to every process of the
  // container (init only; through `runtime kill --all`, else through the pidfd).
  // Signalling an exited process succeeds (a race the caller cannot avoid).
  // kInvalidArgument for a signal outside 1..64.
  virtual boost::asio::awaitable<Status> signalProcess(std::string container_id,
                                                       std::string exec_id, int signal,
                                                       bool all) = 0;
  // Completes when the process has exited (at once if it already has).
  virtual boost::asio::awaitable<Result<ExitStatus>> waitProcess(std::string container_id,
                                                                 std::string exec_id) = 0;
  // Up to `max_bytes` (>= 1) of the stream; completes when at least one byte is there,
  // or with an empty string once the stream reached end of file and was drained. A
  // terminal process has only kStdout (kStderr is kFailedPrecondition).
  virtual boost::asio::awaitable<Result<std::string>> readOutput(std::string container_id,
                                                                 std::string exec_id,
                                                                 OutputStream stream,
                                                                 std::size_t max_bytes) = 0;
  // Writes all of `data` to the process's stdin; returns its size. kFailedPrecondition
  // after closeStdin, when the process closed its stdin, or while another write to the
  // same stdin is pending.
  virtual boost::asio::awaitable<Result<std::size_t>> writeStdin(std::string container_id,
                                                                 std::string exec_id,
                                                                 std::string data) = 0;
  // Closes the stdin pipe (the process reads EOF); on a terminal, sends VEOF (^D).
  // kFailedPrecondition when already closed.
  virtual boost::asio::awaitable<Status> closeStdin(std::string container_id,
                                                    std::string exec_id) = 0;
  // Terminal processes only (else kFailedPrecondition).
  virtual boost::asio::awaitable<Status> resizeTerminal(std::string container_id,
                                                        std::string exec_id, std::uint16_t rows,
                                                        std::uint16_t columns) = 0;
  // See ContainerStats. kFailedPrecondition once the init has exited.
  virtual boost::asio::awaitable<Result<ContainerStats>> stats(std::string container_id) = 0;
  // `runtime pause` / `runtime resume`: kFailedPrecondition unless running / paused.
  virtual boost::asio::awaitable<Status> pause(std::string container_id) = 0;
  virtual boost::asio::awaitable<Status> resume(std::string container_id) = 0;
  // `runtime update --resources`: `resources` is an OCI linux.resources object
  // (kInvalidArgument otherwise). kFailedPrecondition once stopped.
  virtual boost::asio::awaitable<Status> update(std::string container_id, json::Json resources) = 0;
  // kStopped once the init exited. Not a coroutine: answers from any thread at once.
  virtual Result<ContainerStatus> status(std::string_view container_id) const = 0;
  // The known containers, sorted.
  virtual std::vector<std::string> containerIds() const = 0;
  // Stops the container if it runs (SIGTERM, then SIGKILL after `grace`), deletes it from
  // the runtime (`delete --force`; a paused one is resumed first so that it can act on
  // SIGTERM), reaps its processes,
  // closes their stdio (pending reads complete with end of file), removes its state and
  // forgets it. The bundle directory is the caller's. Waits for calls on the container
  // that are still in the runtime. kFailedPrecondition while another removal of it runs;
  // on a runtime failure the container stays known, so the call can be retried.
  virtual boost::asio::awaitable<Status> removeContainer(std::string container_id,
                                                         std::chrono::milliseconds grace) = 0;
  // removeContainer for every container (DestroySandbox, agent shutdown).
  virtual boost::asio::awaitable<void> removeAll(std::chrono::milliseconds grace) = 0;
};

}  // namespace cocoon::agent::container
