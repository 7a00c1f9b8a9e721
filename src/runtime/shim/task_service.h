// SPDX-License-Identifier: Apache-2.0
// TaskService: containerd's shim v2 task API (containerd.task.v2.Task) for one sandbox,
// carried out by the agent inside the sandbox's VM. The first Create starts the sandbox;
// containers are created in the guest with an image_guest_pull storage (the guest pulls;
// the rootfs containerd prepared on the host is not used); the last Delete ends it.
// Trust: requests come from containerd (root on the host, outside the TEE's trust);
// bundle files are parsed with limits; what the agent answers is the guest's.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "proto/shim/shim.pb.h"
#include "runtime/config/config.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/shim/events.h"
#include "ttrpc/server.h"

namespace cocoon::runtime::shim {

// The ttrpc service name containerd calls.
inline constexpr const char* kTaskService = "containerd.task.v2.Task";

using SandboxStarter =
    std::function<Result<std::unique_ptr<sandbox::Sandbox>>(const sandbox::SandboxSpec&)>;

struct TaskServiceOptions {
  config::RuntimeConfig config;
  // Starts the sandbox (production: sandbox::startSandbox with `config`).
  SandboxStarter start_sandbox;
  // Parent of the sandboxes' run directories (<dir>/<sandbox id>).
  std::filesystem::path sandboxes_dir = "/run/cocoon/sandboxes";
  // Null: events are dropped.
  EventPublisher* events = nullptr;
  // Reported by Connect.
  std::string version = "unknown";
  // Called (once) when containerd's Shutdown finds no container left: the server ends.
  std::function<void()> on_shutdown;
};

// Thread-safe: containerd calls methods concurrently (Wait waits while Kill arrives, and
// State of one container while another's Create pulls its image).
// Every task reports the shim's own pid: the processes run inside the guest.
// Checkpoint answers kUnimplemented.
class TaskService {
 public:
  explicit TaskService(TaskServiceOptions options);
  // Stops relays and waiters and the sandbox, if still running.
  // REQUIRES: the server it is registered on has stopped. (Wait calls still suspended in
  // a stopped server's io_context may be destroyed after the service; they do not use it
  // then.)
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  // Registers every method of kTaskService on `server`.
  Status registerOn(ttrpc::Server& server);

  // The methods (blocking, except wait); errors become the ttrpc status containerd sees.
  // Every method on a container that a Create is still creating answers
  // kFailedPrecondition "container ID is being created".
  // create: kInvalidArgument for a bad bundle (no image annotation, bad config.json),
  // kAlreadyExists for a known id (also while its Create is in flight),
  // kFailedPrecondition after Shutdown, kUnimplemented for checkpoint restore, the
  // sandbox's and agent's errors (prefixed "starting the sandbox" / "CreateContainer"),
  // kAborted when the sandbox was stopped (Delete of the pod's sandbox container) during
  // the pull. The sandbox start and the guest pull run without the service's lock:
  // calls about other containers are answered meanwhile. On failure the id is free again.
  // Registered by registerOn, it runs on the service's own Create threads.
  Result<containerd::task::v2::CreateTaskResponse> create(
      const containerd::task::v2::CreateTaskRequest& request);
  Result<containerd::task::v2::StartResponse> start(
      const containerd::task::v2::StartRequest& request);
  Result<containerd::task::v2::DeleteResponse> remove(
      const containerd::task::v2::DeleteRequest& request);
  Status exec(const containerd::task::v2::ExecProcessRequest& request);
  Result<containerd::task::v2::StateResponse> state(
      const containerd::task::v2::StateRequest& request);
  Status kill(const containerd::task::v2::KillRequest& request);
  // wait: answers once the process has exited (at once if it has), suspended meanwhile
  // without holding a thread, so that any number of waiters leave the server free for
  // State, Kill and Delete. kNotFound for an unknown process, or when the process is
  // deleted before it ran; kFailedPrecondition while its container is being created.
  // REQUIRES: awaited on an executor whose context outlives the call (the server's).
  boost::asio::awaitable<Result<containerd::task::v2::WaitResponse>> wait(
      containerd::task::v2::WaitRequest request);
  // update: kInvalidArgument for resources that do not parse; the agent's errors.
  Status update(const containerd::task::v2::UpdateTaskRequest& request);
  // stats: the agent's cgroup figures as io.containerd.cgroups.v1.Metrics.
  Result<containerd::task::v2::StatsResponse> stats(const std::string& id);
  Status pause(const std::string& id);
  Status resume(const std::string& id);
  Status resizePty(const containerd::task::v2::ResizePtyRequest& request);
  Status closeIo(const containerd::task::v2::CloseIORequest& request);
  Result<containerd::task::v2::PidsResponse> pids(const std::string& id);
  Result<containerd::task::v2::ConnectResponse> connect();
  Status shutdown();

  // The sandbox's start timeline, for logs and benches (empty before the first Create).
  sandbox::SandboxTimeline sandboxTimeline() const;

  // Wait calls suspended until their process exits.
  std::size_t waitingCallsForTest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cocoon::runtime::shim
