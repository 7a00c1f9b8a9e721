// SPDX-License-Identifier: Apache-2.0
// TaskService::State's steps: sandbox start, guest create, exit watch and Wait.
#include "runtime/shim/internal/task_state.h"

#include <google/protobuf/empty.pb.h>
#include <unistd.h>

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

#include "common/files.h"
#include "common/log.h"

namespace cocoon::runtime::shim {

namespace events = containerd::events;
using google::protobuf::Empty;

google::protobuf::Timestamp now() {
  return timestampNow();
}

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

void TaskService::State::publish(std::string_view topic, const google::protobuf::Message& event) {
  if (options.events != nullptr) {
    options.events->publish(topic, event);
  }
}

Result<Container*> TaskService::State::find(const std::string& id) {
  auto it = containers.find(id);
  if (it == containers.end()) {
    return fail(Code::kNotFound, "container {} not found", id);
  }
  if (it->second->creating) {
    return fail(Code::kFailedPrecondition, "container {} is being created", id);
  }
  return it->second.get();
}

Result<Process*> TaskService::State::findProcess(const std::string& id,
                                                 const std::string& exec_id) {
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

Result<std::shared_ptr<AgentClient>> TaskService::State::ensureSandbox(const BundleInfo& info) {
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

Result<std::shared_ptr<AgentClient>> TaskService::State::createInGuest(
    const v2::CreateTaskRequest& request, const BundleInfo& info) {
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

void TaskService::State::stopSandbox() {
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

void TaskService::State::watch(const std::string& container_id, Process* p) {
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

asio::awaitable<Result<v2::WaitResponse>> TaskService::State::awaitExit(std::string id,
                                                                        std::string exec_id) {
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

void TaskService::State::settleExited(const std::string& container_id, const Process& p) {
  v2::WaitResponse response;
  response.set_exit_status(p.exit_status);
  *response.mutable_exited_at() = p.exited_at;
  waiters.settle(container_id, p.exec_id, response);
}

void TaskService::State::settleDeleted(const std::string& container_id, const Process& p) {
  if (p.status != types::STOPPED) {
    waiters.settle(container_id, p.exec_id,
                   fail(Code::kNotFound, "process {} of container {} was deleted before it ran",
                        p.exec_id.empty() ? "init" : p.exec_id, container_id));
  }
}

void TaskService::State::finish(Process& p) {
  if (p.waiter.joinable()) {
    p.waiter.join();
  }
  p.input.stop(false);
}

}  // namespace cocoon::runtime::shim
