// SPDX-License-Identifier: Apache-2.0
// runContainer: the agent API calls of one container's life.
#include "runtime/sandbox/container_run.h"

#include <google/protobuf/empty.pb.h>

#include <memory>
#include <random>
#include <thread>

#include "proto/agent/agent.pb.h"
#include "runtime/agent_client/agent_client.h"

namespace cocoon::runtime::sandbox {
namespace {

namespace pb = google::protobuf;
using std::chrono::milliseconds;

constexpr std::uint32_t kReadChunk = 64 * 1024;

std::string randomId() {
  std::random_device device;
  return fmt::format("run-{:08x}{:04x}", device(), device() & 0xffffu);
}

grpc::CreateContainerRequest createRequest(const ContainerRun& run, const std::string& id) {
  grpc::CreateContainerRequest req;
  req.set_container_id(id);
  req.set_exec_id(id);
  // The storage Kata's runtime sends for a guest pull (kata_agent.go,
  // handleImageGuestPullBlockVolume).
  grpc::Storage* storage = req.add_storages();
  storage->set_driver("image_guest_pull");
  storage->set_source(run.image);
  storage->set_fstype("overlay");
  storage->set_mount_point("/run/kata-containers/" + id + "/rootfs");
  storage->add_driver_options(R"(image_guest_pull={"metadata":{}})");
  grpc::Spec* spec = req.mutable_oci();
  spec->set_version("1.0.2");
  spec->mutable_root()->set_path("rootfs");
  for (const std::string& arg : run.command) {
    spec->mutable_process()->add_args(arg);
  }
  for (const char* type : {"mount", "ipc", "uts", "pid", "network"}) {
    spec->mutable_linux()->add_namespaces()->set_type(type);
  }
  return req;
}

// Reads one stream until end of file or an error (a policy denial ends it quietly).
void relay(AgentClient& session, const std::string& id, const char* method,
           const std::function<void(std::string_view)>& sink) {
  grpc::ReadStreamRequest req;
  req.set_container_id(id);
  req.set_exec_id(id);
  req.set_len(kReadChunk);
  for (;;) {
    auto chunk = session.call<grpc::ReadStreamResponse>(method, req, std::nullopt);
    if (!chunk || chunk->data().empty()) {
      return;
    }
    sink(chunk->data());
  }
}

}  // namespace

Result<ContainerRunResult> runContainer(const ttrpc::Address& agent, const ContainerRun& run) {
  const auto began = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - began);
  };
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<AgentClient> session, AgentClient::open(agent));
  COCOON_TRY(session->confirmAnswering());
  const std::string id = run.container_id.empty() ? randomId() : run.container_id;
  ContainerRunResult result;
  COCOON_TRY(
      session->call<pb::Empty>("CreateContainer", createRequest(run, id), run.create_timeout));
  result.timeline.created = since();
  auto remove = [&] {
    grpc::RemoveContainerRequest req;
    req.set_container_id(id);
    return session->call<pb::Empty>("RemoveContainer", req, run.call_timeout);
  };
  grpc::StartContainerRequest start;
  start.set_container_id(id);
  if (auto started = session->call<pb::Empty>("StartContainer", start, run.call_timeout);
      !started) {
    (void)remove();
    return fail(started.error());
  }
  result.timeline.started = since();
  std::thread out;
  std::thread err;
  if (run.on_stdout) {
    out = std::thread([&] { relay(*session, id, "ReadStdout", run.on_stdout); });
  }
  if (run.on_stderr) {
    err = std::thread([&] { relay(*session, id, "ReadStderr", run.on_stderr); });
  }
  grpc::WaitProcessRequest wait;
  wait.set_container_id(id);
  wait.set_exec_id(id);
  // No timeout: the container runs as long as it runs.
  auto status = session->call<grpc::WaitProcessResponse>("WaitProcess", wait, std::nullopt);
  result.timeline.exited = since();
  if (out.joinable()) {
    out.join();
  }
  if (err.joinable()) {
    err.join();
  }
  auto removed = remove();
  if (!status) {
    return fail(status.error());
  }
  COCOON_TRY(removed);
  result.exit_status = status->status();
  return result;
}

Status destroySandbox(const ttrpc::Address& agent, std::chrono::milliseconds timeout) {
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<AgentClient> session, AgentClient::open(agent));
  COCOON_TRY(session->confirmAnswering());
  COCOON_TRY(session->call<pb::Empty>("DestroySandbox", grpc::DestroySandboxRequest{}, timeout));
  return okStatus();
}

}  // namespace cocoon::runtime::sandbox
