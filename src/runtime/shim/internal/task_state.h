// SPDX-License-Identifier: Apache-2.0
// TaskService::State: the shim's containers, processes, sandbox and agent connection, and
// the steps that use them (sandbox start, guest create, exit watch and Wait), shared by the
// task service's calls. Private to the shim.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "proto/agent/agent.pb.h"
#include "proto/shim/events.pb.h"
#include "runtime/agent_client/agent_client.h"
#include "runtime/shim/bundle.h"
#include "runtime/shim/exit_waiters.h"
#include "runtime/shim/stdio.h"
#include "runtime/shim/task_service.h"

namespace cocoon::runtime::shim {

namespace v2 = containerd::task::v2;
namespace types = containerd::v1::types;
namespace asio = boost::asio;

// Creates that run at once (each waits on one agent call).
inline constexpr std::size_t kCreateThreads = 4;

google::protobuf::Timestamp now();
std::uint32_t shimPid();
// The agent's Process for a bundle's process.
grpc::Process agentProcess(const BundleProcess& p);

struct Process {
  std::string exec_id;        // "" for a container's init process
  std::string agent_exec_id;  // the agent's name for it (the container id for init)
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
  grpc::Process exec_spec;  // execs only
  types::Status status = types::CREATED;
  std::uint32_t exit_status = 0;
  google::protobuf::Timestamp exited_at;
  InputRelay input;
  std::thread waiter;
};

struct Container {
  std::string id;
  // Reserved by a Create whose guest pull is in flight (without the state lock): the id is
  // taken, but no other call may use the container yet.
  bool creating = false;
  std::string bundle;
  BundleInfo info;
  std::unique_ptr<Process> init;
  std::map<std::string, std::unique_ptr<Process>> execs;
};

struct TaskService::State {
  TaskServiceOptions options;
  mutable std::mutex mutex;
  // Serializes sandbox starts (taken before `mutex`, never under it): a second Create
  // arriving while the first boots the VM waits for that VM instead of booting another.
  std::mutex start_mutex;
  std::map<std::string, std::unique_ptr<Container>> containers;
  std::unique_ptr<sandbox::Sandbox> sandbox;
  // shared_ptr: a Create's CreateContainer runs without `mutex`, so stopSandbox (Delete of
  // the pod's sandbox container) may drop the State's reference while that call is in
  // flight; close() makes the call fail and the Create keeps the object alive until then.
  std::shared_ptr<AgentClient> agent;
  bool shutdown_called = false;
  // Wait calls of processes that have not exited; settled under `mutex`.
  ExitWaiters waiters;
  // Runs the Creates (a VM boot, a guest pull: up to minutes each) off the ttrpc threads,
  // so that even many Creates at once leave those free for State, Kill and Delete. More
  // Creates than threads queue here.
  asio::thread_pool creates{kCreateThreads};

  void publish(std::string_view topic, const google::protobuf::Message& event);
  std::chrono::milliseconds callTimeout() const { return options.config.timeouts.create_container; }
  Result<Container*> find(const std::string& id);
  Result<Process*> findProcess(const std::string& id, const std::string& exec_id);
  // The running sandbox's agent; when there is none, starts the sandbox and tells the
  // agent about it first. Called without `mutex`, so that a VM boot does not hold up
  // calls about other containers (the caller's container id is reserved meanwhile, which
  // keeps Shutdown and the last Delete from ending the shim under it).
  Result<std::shared_ptr<AgentClient>> ensureSandbox(const BundleInfo& info);
  // Starts the sandbox if needed and creates the container in the guest (the guest pulls
  // its image); answers the agent it used. Called without `mutex`: this takes seconds to
  // minutes, and calls about other containers must not wait for it.
  Result<std::shared_ptr<AgentClient>> createInGuest(const v2::CreateTaskRequest& request,
                                                     const BundleInfo& info);
  // Ends the sandbox once nothing runs in it. Called with `mutex` held.
  void stopSandbox();
  // The waiter of a started process: output until end of stream, its exit, the event.
  void watch(const std::string& container_id, Process* p);
  // Answers when process `exec_id` of container `id` has exited; holds no thread while
  // it waits. REQUIRES: runs on a strand (ExitWaiters::add).
  asio::awaitable<Result<v2::WaitResponse>> awaitExit(std::string id, std::string exec_id);
  // Answers the Wait calls of `p`, which has just stopped. Called with `mutex` held.
  void settleExited(const std::string& container_id, const Process& p);
  // Answers the Wait calls of `p`, deleted before it ran. Called with `mutex` held.
  void settleDeleted(const std::string& container_id, const Process& p);
  // Joins a process's threads; call without `mutex` held.
  static void finish(Process& p);
};

}  // namespace cocoon::runtime::shim
