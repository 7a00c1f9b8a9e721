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
#include "runtime/shim/internal/task_state.h"
#include "runtime/shim/stdio.h"

namespace cocoon::runtime::shim {
namespace {

namespace events = containerd::events;
using google::protobuf::Empty;
using google::protobuf::Timestamp;

}  // namespace

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
