// SPDX-License-Identifier: Apache-2.0
// TaskService: containers and processes of one sandbox, mapped onto agent calls.
#include "runtime/shim/task_service.h"

#include <google/protobuf/empty.pb.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "common/files.h"
#include "common/log.h"
#include "proto/agent/agent.pb.h"
#include "proto/shim/cgroups_metrics.pb.h"
#include "proto/shim/events.pb.h"
#include "runtime/agent_client/agent_client.h"
#include "runtime/shim/bundle.h"
#include "runtime/shim/exit_waiters.h"
#include "runtime/shim/stdio.h"

namespace cocoon::runtime::shim {
namespace {

namespace v2 = containerd::task::v2;
namespace types = containerd::v1::types;
namespace events = containerd::events;
using google::protobuf::Empty;
using google::protobuf::Timestamp;
namespace asio = boost::asio;

Timestamp now() {
  return timestampNow();
}

// Creates that run at once (each waits on one agent call).
constexpr std::size_t kCreateThreads = 4;

std::uint32_t shimPid() {
  return static_cast<std::uint32_t>(::getpid());
}

grpc::Process agentProcess(const BundleProcess& p) {
  grpc::Process out;
  for (const std::string& arg : p.args) {
    out.add_args(arg);
  }
  for (const std::string& env : p.env) {
    out.add_env(env);
  }
  out.set_cwd(p.cwd);
  out.set_terminal(p.terminal);
  out.mutable_user()->set_uid(p.uid);
  out.mutable_user()->set_gid(p.gid);
  return out;
}

struct Process {
  std::string exec_id;        // "" for a container's init process
  std::string agent_exec_id;  // the agent's name for it (the container id for init)
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
  grpc::Process exec_spec;  // execs only
  types::Status status = types::CREATED;
  std::uint32_t exit_status = 0;
  Timestamp exited_at;
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

}  // namespace

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

  void publish(std::string_view topic, const google::protobuf::Message& event) {
    if (options.events != nullptr) {
      options.events->publish(topic, event);
    }
  }

  std::chrono::milliseconds callTimeout() const { return options.config.timeouts.create_container; }

  Result<Container*> find(const std::string& id) {
    auto it = containers.find(id);
    if (it == containers.end()) {
      return fail(Code::kNotFound, "container {} not found", id);
    }
    if (it->second->creating) {
      return fail(Code::kFailedPrecondition, "container {} is being created", id);
    }
    return it->second.get();
  }

  Result<Process*> findProcess(const std::string& id, const std::string& exec_id) {
    COCOON_ASSIGN_OR_RETURN(Container * c, find(id));
    if (exec_id.empty()) {
      return c->init.get();
    }
    auto it = c->execs.find(exec_id);
    if (it == c->execs.end()) {
      return fail(Code::kNotFound, "process {} of container {} not found", exec_id, id);
    }
    return it->second.get();
  }

  // The running sandbox's agent; when there is none, starts the sandbox and tells the
  // agent about it first. Called without `mutex`, so that a VM boot does not hold up
  // calls about other containers (the caller's container id is reserved meanwhile, which
  // keeps Shutdown and the last Delete from ending the shim under it).
  Result<std::shared_ptr<AgentClient>> ensureSandbox(const BundleInfo& info) {
    std::lock_guard start_lock(start_mutex);
    {
      std::lock_guard lock(mutex);
      if (agent) {
        return agent;
      }
    }
    sandbox::SandboxSpec spec;
    spec.id = sandboxKey(info.sandbox_id);
    spec.run_dir = options.sandboxes_dir / spec.id;
    spec.initdata_toml = info.initdata_toml;
    COCOON_TRY(createDirectories(options.sandboxes_dir));
    auto started = options.start_sandbox(spec);
    if (!started) {
      return fail(started.error().code, "starting the sandbox: {}", started.error().message);
    }
    auto agent_client = AgentClient::open((*started)->agentAddress());
    if (!agent_client) {
      (void)(*started)->stop(std::chrono::seconds(1));
      return fail(agent_client.error().code, "connecting to the agent: {}",
                  agent_client.error().message);
    }
    // The readiness probe's connection just closed: see confirmAnswering for the race.
    if (auto answering = (*agent_client)->confirmAnswering(); !answering) {
      (void)(*started)->stop(std::chrono::seconds(1));
      return fail(answering.error().code, "the agent after boot: {}", answering.error().message);
    }
    grpc::CreateSandboxRequest request;
    request.set_hostname(info.hostname.empty() ? spec.id : info.hostname);
    request.set_sandbox_id(info.sandbox_id);
    if (auto created = (*agent_client)->call<Empty>("CreateSandbox", request, callTimeout());
        !created) {
      (void)(*started)->stop(std::chrono::seconds(1));
      return fail(created.error());
    }
    const sandbox::SandboxTimeline t = (*started)->timeline();
    COCOON_LOG(kInfo, "shim", "sandbox {} ready: vm {} ms, agent {} ms", spec.id,
               t.vm_started ? t.vm_started->count() : -1,
               t.agent_ready ? t.agent_ready->count() : -1);
    std::shared_ptr<AgentClient> client = std::move(*agent_client);
    std::lock_guard lock(mutex);
    sandbox = std::move(*started);
    agent = client;
    return client;
  }

  // Starts the sandbox if needed and creates the container in the guest (the guest pulls
  // its image); answers the agent it used. Called without `mutex`: this takes seconds to
  // minutes, and calls about other containers must not wait for it.
  Result<std::shared_ptr<AgentClient>> createInGuest(const v2::CreateTaskRequest& request,
                                                     const BundleInfo& info) {
    COCOON_ASSIGN_OR_RETURN(std::shared_ptr<AgentClient> guest, ensureSandbox(info));
    if (info.is_pod_sandbox) {
      return guest;  // the pod's sandbox container runs nothing in the guest
    }
    grpc::CreateContainerRequest create;
    create.set_container_id(request.id());
    create.set_exec_id(request.id());
    // The storage Kata's runtime sends for a guest pull (../shared/PROTOCOLS.md §4).
    grpc::Storage* storage = create.add_storages();
    storage->set_driver("image_guest_pull");
    storage->set_source(info.image);
    storage->set_fstype("overlay");
    storage->set_mount_point("/run/kata-containers/" + request.id() + "/rootfs");
    storage->add_driver_options(R"(image_guest_pull={"metadata":{}})");
    grpc::Spec* spec = create.mutable_oci();
    spec->set_version("1.0.2");
    spec->set_hostname(info.hostname);
    spec->mutable_root()->set_path("rootfs");
    BundleProcess process = info.process;
    process.terminal = request.terminal();
    *spec->mutable_process() = agentProcess(process);
    for (const char* type : {"mount", "ipc", "uts", "pid", "network"}) {
      spec->mutable_linux()->add_namespaces()->set_type(type);
    }
    const auto timeout =
        options.config.timeouts.image_pull + options.config.timeouts.create_container;
    auto created = guest->call<Empty>("CreateContainer", create, timeout);
    if (!created && created.error().code == Code::kDeadlineExceeded) {
      // The agent may still finish the pull and create it: leave nothing behind in the guest.
      grpc::RemoveContainerRequest remove;
      remove.set_container_id(request.id());
      (void)guest->call<Empty>("RemoveContainer", remove, callTimeout());
    }
    COCOON_TRY(created);
    return guest;
  }

  // Ends the sandbox once nothing runs in it. Called with `mutex` held.
  void stopSandbox() {
    if (!sandbox) {
      return;
    }
    if (agent) {
      (void)agent->call<Empty>("DestroySandbox", grpc::DestroySandboxRequest{},
                               std::chrono::seconds(10));
      agent->close();
    }
    if (auto stopped = sandbox->stop(options.config.timeouts.shutdown); !stopped) {
      COCOON_LOG(kWarn, "shim", "stopping the sandbox: {}", stopped.error().message);
    }
    agent.reset();
    sandbox.reset();
  }

  // The waiter of a started process: output until end of stream, its exit, the event.
  void watch(const std::string& container_id, Process* p) {
    p->waiter = std::thread([this, agent_ref = agent, container_id, p] {
      AgentClient& a = *agent_ref;
      std::thread out(
          [&] { relayOutput(a, container_id, p->agent_exec_id, "ReadStdout", p->stdout_path); });
      std::thread err;
      if (!p->terminal) {  // a terminal merges stderr into stdout
        err = std::thread(
            [&] { relayOutput(a, container_id, p->agent_exec_id, "ReadStderr", p->stderr_path); });
      }
      grpc::WaitProcessRequest request;
      request.set_container_id(container_id);
      request.set_exec_id(p->agent_exec_id);
      auto status = a.call<grpc::WaitProcessResponse>("WaitProcess", request);
      out.join();
      if (err.joinable()) {
        err.join();
      }
      p->input.stop(false);
      events::TaskExit exit_event;
      {
        std::lock_guard lock(mutex);
        p->status = types::STOPPED;
        // 255 when the agent could not say (the guest is gone): containerd needs a status.
        p->exit_status = status ? static_cast<std::uint32_t>(status->status()) : 255u;
        p->exited_at = now();
        exit_event.set_container_id(container_id);
        exit_event.set_id(p->exec_id.empty() ? container_id : p->exec_id);
        exit_event.set_pid(shimPid());
        exit_event.set_exit_status(p->exit_status);
        *exit_event.mutable_exited_at() = p->exited_at;
        settleExited(container_id, *p);
      }
      if (!status) {
        COCOON_LOG(kWarn, "shim", "waiting for {}: {}", container_id, status.error().message);
      }
      publish(kTopicExit, exit_event);
    });
  }

  // Answers when process `exec_id` of container `id` has exited; holds no thread while
  // it waits. REQUIRES: runs on a strand (ExitWaiters::add).
  asio::awaitable<Result<v2::WaitResponse>> awaitExit(std::string id, std::string exec_id) {
    const asio::any_io_executor strand = co_await asio::this_coro::executor;
    std::unique_ptr<ExitWaiters::Waiter> waiter;
    {
      std::lock_guard lock(mutex);
      Result<Process*> p = findProcess(id, exec_id);
      if (!p) {
        co_return fail(std::move(p).error());
      }
      if ((*p)->status == types::STOPPED) {
        v2::WaitResponse response;
        response.set_exit_status((*p)->exit_status);
        *response.mutable_exited_at() = (*p)->exited_at;
        co_return response;
      }
      // Under `mutex`, as every settle is: the exit cannot slip between check and register.
      waiter = waiters.add(strand, std::move(id), std::move(exec_id));
    }
    co_return co_await waiter->result();
  }

  // Answers the Wait calls of `p`, which has just stopped. Called with `mutex` held.
  void settleExited(const std::string& container_id, const Process& p) {
    v2::WaitResponse response;
    response.set_exit_status(p.exit_status);
    *response.mutable_exited_at() = p.exited_at;
    waiters.settle(container_id, p.exec_id, response);
  }

  // Answers the Wait calls of `p`, deleted before it ran. Called with `mutex` held.
  void settleDeleted(const std::string& container_id, const Process& p) {
    if (p.status != types::STOPPED) {
      waiters.settle(container_id, p.exec_id,
                     fail(Code::kNotFound, "process {} of container {} was deleted before it ran",
                          p.exec_id.empty() ? "init" : p.exec_id, container_id));
    }
  }

  // Joins a process's threads; call without `mutex` held.
  static void finish(Process& p) {
    if (p.waiter.joinable()) {
      p.waiter.join();
    }
    p.input.stop(false);
  }
};

TaskService::TaskService(TaskServiceOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}

TaskService::~TaskService() {
  state_->creates.join();  // a Create still running (its caller gone) ends on its own
  std::map<std::string, std::unique_ptr<Container>> containers;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->agent) {
      state_->agent->close();  // ends the waiters' WaitProcess and reads
    }
    containers.swap(state_->containers);
  }
  for (auto& [id, c] : containers) {
    State::finish(*c->init);
    for (auto& [exec_id, p] : c->execs) {
      State::finish(*p);
    }
  }
  std::lock_guard lock(state_->mutex);
  state_->stopSandbox();
}

Result<v2::CreateTaskResponse> TaskService::create(const v2::CreateTaskRequest& request) {
  if (!request.checkpoint().empty()) {
    return fail(Code::kUnimplemented, "restoring a checkpoint is not supported");
  }
  COCOON_ASSIGN_OR_RETURN(BundleInfo info, readBundle(request.bundle(), request.id()));
  auto c = std::make_unique<Container>();
  c->id = request.id();
  c->bundle = request.bundle();
  c->info = info;
  c->creating = true;
  c->init = std::make_unique<Process>();
  c->init->agent_exec_id = request.id();
  c->init->stdin_path = request.stdin();
  c->init->stdout_path = request.stdout();
  c->init->stderr_path = request.stderr();
  c->init->terminal = request.terminal();
  {
    std::lock_guard lock(state_->mutex);
    if (state_->shutdown_called) {
      return fail(Code::kFailedPrecondition, "container {}: the shim is shutting down",
                  request.id());
    }
    if (state_->containers.count(request.id()) != 0) {
      return fail(Code::kAlreadyExists, "container {} already exists", request.id());
    }
    state_->containers.emplace(request.id(), std::move(c));
  }
  // The id is reserved; the sandbox start and the guest pull run without the state lock.
  // Every failure from here on releases the id again.
  auto agent = state_->createInGuest(request, info);
  std::lock_guard lock(state_->mutex);
  if (!agent) {
    state_->containers.erase(request.id());
    return fail(agent.error());
  }
  if (state_->agent != *agent) {
    // Delete of the pod's sandbox container stopped the sandbox during the pull.
    state_->containers.erase(request.id());
    return fail(Code::kAborted, "container {}: the sandbox stopped while it was being created",
                request.id());
  }
  state_->containers.at(request.id())->creating = false;
  events::TaskCreate event;
  event.set_container_id(request.id());
  event.set_bundle(request.bundle());
  event.mutable_io()->set_stdin(request.stdin());
  event.mutable_io()->set_stdout(request.stdout());
  event.mutable_io()->set_stderr(request.stderr());
  event.mutable_io()->set_terminal(request.terminal());
  event.set_pid(shimPid());
  state_->publish(kTopicCreate, event);
  v2::CreateTaskResponse response;
  response.set_pid(shimPid());
  return response;
}

Result<v2::StartResponse> TaskService::start(const v2::StartRequest& request) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
  COCOON_ASSIGN_OR_RETURN(Process * p, state_->findProcess(request.id(), request.exec_id()));
  if (p->status != types::CREATED) {
    return fail(Code::kFailedPrecondition, "process {} of {} was started before",
                request.exec_id().empty() ? "init" : request.exec_id(), request.id());
  }
  if (c->info.is_pod_sandbox) {
    p->status = types::RUNNING;  // the pod's sandbox container runs nothing in the guest
  } else {
    if (request.exec_id().empty()) {
      grpc::StartContainerRequest start;
      start.set_container_id(request.id());
      COCOON_TRY(state_->agent->call<Empty>("StartContainer", start, state_->callTimeout()));
    } else {
      grpc::ExecProcessRequest exec;
      exec.set_container_id(request.id());
      exec.set_exec_id(p->agent_exec_id);
      *exec.mutable_process() = p->exec_spec;
      COCOON_TRY(state_->agent->call<Empty>("ExecProcess", exec, state_->callTimeout()));
    }
    p->status = types::RUNNING;
    if (!p->stdin_path.empty()) {
      if (auto s = p->input.start(*state_->agent, request.id(), p->agent_exec_id, p->stdin_path);
          !s) {
        COCOON_LOG(kWarn, "shim", "stdin of {}: {}", request.id(), s.error().message);
      }
    }
    state_->watch(request.id(), p);
  }
  if (request.exec_id().empty()) {
    events::TaskStart event;
    event.set_container_id(request.id());
    event.set_pid(shimPid());
    state_->publish(kTopicStart, event);
  } else {
    events::TaskExecStarted event;
    event.set_container_id(request.id());
    event.set_exec_id(request.exec_id());
    event.set_pid(shimPid());
    state_->publish(kTopicExecStarted, event);
  }
  v2::StartResponse response;
  response.set_pid(shimPid());
  return response;
}

Result<v2::DeleteResponse> TaskService::remove(const v2::DeleteRequest& request) {
  std::unique_ptr<Process> process;
  std::unique_ptr<Container> container;
  {
    std::lock_guard lock(state_->mutex);
    COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
    COCOON_ASSIGN_OR_RETURN(Process * p, state_->findProcess(request.id(), request.exec_id()));
    if (p->status == types::RUNNING || p->status == types::PAUSED) {
      return fail(Code::kFailedPrecondition, "{} is still running: kill it first", request.id());
    }
    if (!request.exec_id().empty()) {
      process = std::move(c->execs[request.exec_id()]);
      c->execs.erase(request.exec_id());
      state_->settleDeleted(request.id(), *process);
    } else {
      if (!c->info.is_pod_sandbox && state_->agent) {
        grpc::RemoveContainerRequest remove;
        remove.set_container_id(request.id());
        if (auto removed =
                state_->agent->call<Empty>("RemoveContainer", remove, state_->callTimeout());
            !removed) {
          COCOON_LOG(kWarn, "shim", "RemoveContainer {}: {}", request.id(),
                     removed.error().message);
        }
      }
      container = std::move(state_->containers[request.id()]);
      state_->containers.erase(request.id());
      state_->settleDeleted(request.id(), *container->init);
      for (auto& [exec_id, exec] : container->execs) {
        state_->settleDeleted(request.id(), *exec);
      }
    }
  }
  Process& done = process ? *process : *container->init;
  State::finish(done);
  if (container) {
    for (auto& [exec_id, p] : container->execs) {
      State::finish(*p);
    }
  }
  v2::DeleteResponse response;
  response.set_pid(shimPid());
  response.set_exit_status(done.exit_status);
  *response.mutable_exited_at() = done.exited_at;
  events::TaskDelete event;
  event.set_container_id(request.id());
  event.set_id(request.exec_id());
  event.set_pid(shimPid());
  event.set_exit_status(done.exit_status);
  *event.mutable_exited_at() = done.exited_at;
  state_->publish(kTopicDelete, event);
  if (container) {
    std::lock_guard lock(state_->mutex);
    // The pod's sandbox container goes last (CRI); a lone container is its own sandbox.
    if (container->info.is_pod_sandbox || state_->containers.empty()) {
      state_->stopSandbox();
    }
  }
  return response;
}

Status TaskService::exec(const v2::ExecProcessRequest& request) {
  COCOON_ASSIGN_OR_RETURN(BundleProcess process, parseProcessJson(request.spec().value()));
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
  if (c->info.is_pod_sandbox) {
    return fail(Code::kFailedPrecondition, "{} is a pod's sandbox container: nothing to exec in",
                request.id());
  }
  if (request.exec_id().empty() || c->execs.count(request.exec_id()) != 0) {
    return fail(Code::kAlreadyExists, "exec id '{}' of {} is empty or in use", request.exec_id(),
                request.id());
  }
  auto p = std::make_unique<Process>();
  p->exec_id = request.exec_id();
  p->agent_exec_id = request.exec_id();
  p->stdin_path = request.stdin();
  p->stdout_path = request.stdout();
  p->stderr_path = request.stderr();
  p->terminal = request.terminal();
  process.terminal = request.terminal();
  p->exec_spec = agentProcess(process);
  c->execs.emplace(request.exec_id(), std::move(p));
  events::TaskExecAdded event;
  event.set_container_id(request.id());
  event.set_exec_id(request.exec_id());
  state_->publish(kTopicExecAdded, event);
  return okStatus();
}

Result<v2::StateResponse> TaskService::state(const v2::StateRequest& request) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
  COCOON_ASSIGN_OR_RETURN(Process * p, state_->findProcess(request.id(), request.exec_id()));
  v2::StateResponse response;
  response.set_id(request.id());
  response.set_exec_id(request.exec_id());
  response.set_bundle(c->bundle);
  response.set_pid(shimPid());
  response.set_status(p->status);
  response.set_stdin(p->stdin_path);
  response.set_stdout(p->stdout_path);
  response.set_stderr(p->stderr_path);
  response.set_terminal(p->terminal);
  response.set_exit_status(p->exit_status);
  *response.mutable_exited_at() = p->exited_at;
  return response;
}

Status TaskService::kill(const v2::KillRequest& request) {
  std::unique_lock lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
  COCOON_ASSIGN_OR_RETURN(Process * p, state_->findProcess(request.id(), request.exec_id()));
  if (p->status == types::STOPPED) {
    return fail(Code::kNotFound, "process already finished");
  }
  if (c->info.is_pod_sandbox || p->status == types::CREATED) {
    // Nothing runs in the guest for it (yet): it ends as the signal says.
    p->status = types::STOPPED;
    p->exit_status = 128 + request.signal();
    p->exited_at = now();
    state_->settleExited(request.id(), *p);
    return okStatus();
  }
  grpc::SignalProcessRequest signal;
  signal.set_container_id(request.id());
  // Empty exec id: every process of the container (kata's meaning of "all").
  signal.set_exec_id(request.all() ? std::string() : p->agent_exec_id);
  signal.set_signal(request.signal());
  COCOON_TRY(state_->agent->call<Empty>("SignalProcess", signal, state_->callTimeout()));
  return okStatus();
}

asio::awaitable<Result<v2::WaitResponse>> TaskService::wait(v2::WaitRequest request) {
  // The wait runs on a strand of its own: ExitWaiters wakes it through that strand.
  auto strand = asio::make_strand(co_await asio::this_coro::executor);
  co_return co_await asio::co_spawn(strand, state_->awaitExit(request.id(), request.exec_id()),
                                    asio::use_awaitable);
}

Status TaskService::update(const v2::UpdateTaskRequest& request) {
  COCOON_ASSIGN_OR_RETURN(BundleResources r, parseResourcesJson(request.resources().value()));
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(request.id()));
  if (c->info.is_pod_sandbox) {
    return okStatus();  // nothing runs in the guest for it
  }
  grpc::UpdateContainerRequest update;
  update.set_container_id(request.id());
  grpc::LinuxResources* resources = update.mutable_resources();
  resources->mutable_memory()->set_limit(r.memory_limit);
  resources->mutable_memory()->set_reservation(r.memory_reservation);
  resources->mutable_memory()->set_swap(r.memory_swap);
  resources->mutable_cpu()->set_shares(r.cpu_shares);
  resources->mutable_cpu()->set_quota(r.cpu_quota);
  resources->mutable_cpu()->set_period(r.cpu_period);
  resources->mutable_cpu()->set_cpus(r.cpu_cpus);
  resources->mutable_cpu()->set_mems(r.cpu_mems);
  resources->mutable_pids()->set_limit(r.pids_limit);
  COCOON_TRY(state_->agent->call<Empty>("UpdateContainer", update, state_->callTimeout()));
  return okStatus();
}

Result<v2::StatsResponse> TaskService::stats(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(id));
  io::containerd::cgroups::v1::Metrics metrics;
  if (!c->info.is_pod_sandbox) {
    grpc::StatsContainerRequest request;
    request.set_container_id(id);
    COCOON_ASSIGN_OR_RETURN(grpc::StatsContainerResponse answer,
                            state_->agent->call<grpc::StatsContainerResponse>(
                                "StatsContainer", request, state_->callTimeout()));
    const grpc::CgroupStats& cg = answer.cgroup_stats();
    metrics.mutable_pids()->set_current(cg.pids_stats().current());
    metrics.mutable_pids()->set_limit(cg.pids_stats().limit());
    auto* cpu = metrics.mutable_cpu()->mutable_usage();
    cpu->set_total(cg.cpu_stats().cpu_usage().total_usage());
    cpu->set_kernel(cg.cpu_stats().cpu_usage().usage_in_kernelmode());
    cpu->set_user(cg.cpu_stats().cpu_usage().usage_in_usermode());
    for (std::uint64_t per_cpu : cg.cpu_stats().cpu_usage().percpu_usage()) {
      cpu->add_per_cpu(per_cpu);
    }
    metrics.mutable_memory()->set_cache(cg.memory_stats().cache());
    auto* usage = metrics.mutable_memory()->mutable_usage();
    usage->set_usage(cg.memory_stats().usage().usage());
    usage->set_max(cg.memory_stats().usage().max_usage());
    usage->set_limit(cg.memory_stats().usage().limit());
    usage->set_failcnt(cg.memory_stats().usage().failcnt());
  }
  v2::StatsResponse response;
  // containerd's typeurl registry names the cgroups types by their full name.
  response.mutable_stats()->set_type_url(metrics.GetTypeName());
  response.mutable_stats()->set_value(metrics.SerializeAsString());
  return response;
}

Status TaskService::pause(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(id));
  if (!c->info.is_pod_sandbox) {
    grpc::PauseContainerRequest request;
    request.set_container_id(id);
    COCOON_TRY(state_->agent->call<Empty>("PauseContainer", request, state_->callTimeout()));
  }
  c->init->status = types::PAUSED;
  events::TaskPaused event;
  event.set_container_id(id);
  state_->publish(kTopicPaused, event);
  return okStatus();
}

Status TaskService::resume(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Container * c, state_->find(id));
  if (!c->info.is_pod_sandbox) {
    grpc::ResumeContainerRequest request;
    request.set_container_id(id);
    COCOON_TRY(state_->agent->call<Empty>("ResumeContainer", request, state_->callTimeout()));
  }
  c->init->status = types::RUNNING;
  events::TaskResumed event;
  event.set_container_id(id);
  state_->publish(kTopicResumed, event);
  return okStatus();
}

Status TaskService::resizePty(const v2::ResizePtyRequest& request) {
  std::lock_guard lock(state_->mutex);
  COCOON_ASSIGN_OR_RETURN(Process * p, state_->findProcess(request.id(), request.exec_id()));
  grpc::TtyWinResizeRequest resize;
  resize.set_container_id(request.id());
  resize.set_exec_id(p->agent_exec_id);
  resize.set_row(request.height());
  resize.set_column(request.width());
  COCOON_TRY(state_->agent->call<Empty>("TtyWinResize", resize, state_->callTimeout()));
  return okStatus();
}

Status TaskService::closeIo(const v2::CloseIORequest& request) {
  Process* p = nullptr;
  {
    std::lock_guard lock(state_->mutex);
    COCOON_ASSIGN_OR_RETURN(p, state_->findProcess(request.id(), request.exec_id()));
  }
  if (request.stdin()) {
    p->input.stop(true);
  }
  return okStatus();
}

Result<v2::PidsResponse> TaskService::pids(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  COCOON_TRY(state_->find(id));
  v2::PidsResponse response;
  response.add_processes()->set_pid(shimPid());
  return response;
}

Result<v2::ConnectResponse> TaskService::connect() {
  v2::ConnectResponse response;
  response.set_shim_pid(shimPid());
  response.set_task_pid(shimPid());
  response.set_version(state_->options.version);
  return response;
}

Status TaskService::shutdown() {
  std::function<void()> on_shutdown;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->containers.empty() || state_->shutdown_called) {
      return okStatus();  // other containers of the sandbox still use this shim
    }
    state_->shutdown_called = true;
    state_->stopSandbox();
    on_shutdown = state_->options.on_shutdown;
  }
  if (on_shutdown) {
    on_shutdown();
  }
  return okStatus();
}

namespace {

// Registers `method`, whose blocking handler runs on the server thread that took the call.
// Only calls that end on their own go here: each holds a thread (and, briefly, the state
// lock) for one agent call at most. Wait (as long as the process) and Create (a pull) do
// not.
template <class Req, class Resp, class Fn>
Status add(ttrpc::Server& server, const char* method, Fn fn) {
  return server.registerTyped<Req, Resp>(
      kTaskService, method,
      [fn = std::move(fn)](const Req& request, const ttrpc::Request&)
          -> boost::asio::awaitable<Result<Resp>> { co_return fn(request); });
}

// For the methods that answer google.protobuf.Empty.
template <class Req, class Fn>
Status addEmpty(ttrpc::Server& server, const char* method, Fn fn) {
  return add<Req, Empty>(server, method, [fn = std::move(fn)](const Req& request) -> Result<Empty> {
    COCOON_TRY(fn(request));
    return Empty();
  });
}

}  // namespace

Status TaskService::registerOn(ttrpc::Server& server) {
  COCOON_TRY((add<v2::StateRequest, v2::StateResponse>(
      server, "State", [this](const auto& r) { return state(r); })));
  COCOON_TRY((server.registerTyped<v2::CreateTaskRequest, v2::CreateTaskResponse>(
      kTaskService, "Create",
      [this](const v2::CreateTaskRequest& r,
             const ttrpc::Request&) -> asio::awaitable<Result<v2::CreateTaskResponse>> {
        co_return co_await asio::co_spawn(
            state_->creates,
            [this, r]() -> asio::awaitable<Result<v2::CreateTaskResponse>> { co_return create(r); },
            asio::use_awaitable);
      })));
  COCOON_TRY((add<v2::StartRequest, v2::StartResponse>(
      server, "Start", [this](const auto& r) { return start(r); })));
  COCOON_TRY((add<v2::DeleteRequest, v2::DeleteResponse>(
      server, "Delete", [this](const auto& r) { return remove(r); })));
  COCOON_TRY((add<v2::PidsRequest, v2::PidsResponse>(
      server, "Pids", [this](const auto& r) { return pids(r.id()); })));
  COCOON_TRY((addEmpty<v2::PauseRequest>(server, "Pause",
                                         [this](const auto& r) { return pause(r.id()); })));
  COCOON_TRY((addEmpty<v2::ResumeRequest>(server, "Resume",
                                          [this](const auto& r) { return resume(r.id()); })));
  COCOON_TRY((addEmpty<v2::CheckpointTaskRequest>(server, "Checkpoint", [](const auto&) {
    return Status(fail(Code::kUnimplemented, "checkpoint is not supported for confidential VMs"));
  })));
  COCOON_TRY(
      (addEmpty<v2::KillRequest>(server, "Kill", [this](const auto& r) { return kill(r); })));
  COCOON_TRY((
      addEmpty<v2::ExecProcessRequest>(server, "Exec", [this](const auto& r) { return exec(r); })));
  COCOON_TRY((addEmpty<v2::ResizePtyRequest>(server, "ResizePty",
                                             [this](const auto& r) { return resizePty(r); })));
  COCOON_TRY((addEmpty<v2::CloseIORequest>(server, "CloseIO",
                                           [this](const auto& r) { return closeIo(r); })));
  COCOON_TRY((addEmpty<v2::UpdateTaskRequest>(server, "Update",
                                              [this](const auto& r) { return update(r); })));
  COCOON_TRY((server.registerTyped<v2::WaitRequest, v2::WaitResponse>(
      kTaskService, "Wait",
      [this](const v2::WaitRequest& r, const ttrpc::Request&) { return wait(r); })));
  COCOON_TRY((add<v2::StatsRequest, v2::StatsResponse>(
      server, "Stats", [this](const auto& r) { return stats(r.id()); })));
  COCOON_TRY((add<v2::ConnectRequest, v2::ConnectResponse>(
      server, "Connect", [this](const auto&) { return connect(); })));
  COCOON_TRY((addEmpty<v2::ShutdownRequest>(server, "Shutdown",
                                            [this](const auto&) { return shutdown(); })));
  return okStatus();
}

sandbox::SandboxTimeline TaskService::sandboxTimeline() const {
  std::lock_guard lock(state_->mutex);
  return state_->sandbox ? state_->sandbox->timeline() : sandbox::SandboxTimeline{};
}

std::size_t TaskService::waitingCallsForTest() const {
  return state_->waiters.size();
}

}  // namespace cocoon::runtime::shim
