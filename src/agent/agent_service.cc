// SPDX-License-Identifier: Apache-2.0
// AgentService: decode -> policy -> validate -> Supervisor / image puller, per method.
#include "agent/agent_service.h"

#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/guest_memory.h"
#include "agent/guest_pull.h"
#include "agent/oci_spec.h"
#include "attest/cdh/data_hub.h"
#include "common/files.h"
#include "common/log.h"
#include "image/puller.h"
#include "proto/agent/agent.pb.h"
#include "proto/agent/health.pb.h"

namespace cocoon::agent {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using Empty = google::protobuf::Empty;
using container::Supervisor;

constexpr std::size_t kMaxReadChunk = 1 << 20;
constexpr json::ParseLimits kRequestJsonLimits{.max_bytes = 16u << 20, .max_depth = 64};

// Kata names the init process by the container id (or leaves exec_id empty); the
// Supervisor by an empty exec id.
std::string supervisorExecId(const std::string& container_id, const std::string& exec_id) {
  return exec_id == container_id ? std::string() : exec_id;
}

Status validateProcess(std::string_view method, const std::string& container_id,
                       const std::string& exec_id) {
  COCOON_TRY(validateId(fmt::format("{}.container_id", method), container_id));
  if (!exec_id.empty()) {
    COCOON_TRY(validateId(fmt::format("{}.exec_id", method), exec_id));
  }
  return okStatus();
}

Result<json::Json> requestJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return fail(Code::kInvalidArgument, "{} does not convert to JSON: {}", message.GetTypeName(),
                status.ToString());
  }
  return json::parseJson(text, kRequestJsonLimits);
}

}  // namespace

Status validateId(std::string_view field, std::string_view id) {
  auto bad = [&](std::string_view why) {
    return fail(Code::kInvalidArgument, "{}: {} (\"{}\")", field, why, id.substr(0, 64));
  };
  if (id.empty()) {
    return bad("empty id");
  }
  if (id.size() > 128) {
    return bad("longer than 128 characters");
  }
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(id.front())) {
    return bad("must start with a letter or digit");
  }
  if (!std::all_of(id.begin(), id.end(),
                   [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return bad("only letters, digits, '_', '.' and '-' are allowed");
  }
  return okStatus();
}

struct AgentService::Impl {
  Impl(Supervisor& s, policy::AgentPolicy p, AgentServiceOptions o)
      : supervisor(s),
        policy(std::make_shared<const policy::AgentPolicy>(std::move(p))),
        options(std::move(o)) {}

  Supervisor& supervisor;
  mutable std::mutex mutex;
  // shared_ptr: a SetPolicy may replace the policy while checks still use the old one.
  std::shared_ptr<const policy::AgentPolicy> policy;  // guarded by mutex
  std::set<std::string> creating;                     // guarded by mutex
  std::string hostname;                               // guarded by mutex
  AgentServiceOptions options;
  // The confidential data hub for config.kbc (null without a KBS); pull_options points at it.
  std::unique_ptr<attest::cdh::DataHub> hub;
  GuestPullOptions pull_options;
  // Image pulls and bundle removal block: they run here, not on the server's threads.
  asio::thread_pool blocking{2};

  std::shared_ptr<const policy::AgentPolicy> currentPolicy() const {
    std::lock_guard lock(mutex);
    return policy;
  }

  Status checkPolicy(std::string_view name, const google::protobuf::Message& request) const {
    if (!options.refusal.empty()) {
      COCOON_LOG(kWarn, "agent", "{} refused: {}", name, options.refusal);
      return fail(Code::kPermissionDenied, "{} refused: {}", name, options.refusal);
    }
    COCOON_ASSIGN_OR_RETURN(json::Json input, requestJson(request));
    Status decision = currentPolicy()->check(name, input);
    if (!decision) {
      COCOON_LOG(kWarn, "agent", "{}", decision.error().message);
    }
    return decision;
  }

  // Runs `work` (returning Status) on the blocking pool and resumes the caller after it.
  template <class F>
  awaitable<Status> runBlocking(F work) {
    co_return co_await asio::co_spawn(
        blocking, [&work]() -> awaitable<Status> { co_return work(); }, asio::use_awaitable);
  }

  std::filesystem::path bundleDir(const std::string& id) const {
    return options.config.state_dir / "containers" / id;
  }

  MergeOptions mergeOptions(const std::string& id) const {
    return {.sandbox_dirs = {bundleDir(id)}};
  }

  awaitable<Status> removeBundleDir(const std::string& id) {
    const std::filesystem::path dir = bundleDir(id);
    co_return co_await runBlocking([&]() -> Status {
      std::error_code ec;
      if (!std::filesystem::exists(dir, ec)) {
        return okStatus();
      }
      COCOON_TRY(image::removeBundle(dir));
      return removeAll(dir);
    });
  }

  // ---- grpc.AgentService ----

  awaitable<Result<Empty>> createSandbox(const grpc::CreateSandboxRequest& req) {
    if (req.storages_size() > 0) {
      co_return fail(Code::kUnimplemented,
                     "CreateSandbox.storages: {} sandbox storages; none is supported",
                     req.storages_size());
    }
    std::lock_guard lock(mutex);
    hostname = req.hostname();
    COCOON_LOG(kInfo, "agent", "sandbox {} created (hostname \"{}\")", req.sandbox_id(),
               req.hostname());
    co_return Empty{};
  }

  awaitable<Result<Empty>> destroySandbox(const grpc::DestroySandboxRequest&) {
    co_await supervisor.removeAll(options.default_grace);
    for (const std::string& id : supervisor.containerIds()) {
      COCOON_LOG(kWarn, "agent", "container {} still known after removeAll", id);
    }
    const std::filesystem::path containers = options.config.state_dir / "containers";
    Status removed = co_await runBlocking([&]() -> Status {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(containers, ec)) {
        COCOON_TRY(image::removeBundle(entry.path()));
        COCOON_TRY(removeAll(entry.path()));
      }
      return okStatus();
    });
    if (!removed) {
      COCOON_LOG(kError, "agent", "DestroySandbox: {}", removed.error().toString());
    }
    COCOON_LOG(kInfo, "agent", "sandbox destroyed");
    if (options.on_destroy_sandbox) {
      options.on_destroy_sandbox();
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> createContainer(const grpc::CreateContainerRequest& req) {
    const std::string& id = req.container_id();
    if (auto s = validateId("CreateContainer.container_id", id); !s) {
      co_return fail(std::move(s).error());
    }
    if (!req.exec_id().empty() && req.exec_id() != id) {
      co_return fail(Code::kInvalidArgument,
                     "CreateContainer.exec_id: \"{}\" must be empty or the container id",
                     req.exec_id().substr(0, 64));
    }
    if (req.devices_size() > 0) {
      co_return fail(Code::kUnimplemented, "CreateContainer.devices: {} devices; not supported",
                     req.devices_size());
    }
    Result<GuestPullRequest> pull = findGuestPull(req.storages());
    if (!pull) {
      co_return fail(std::move(pull).error());
    }
    // The host's spec is checked before anything is pulled (merged again afterwards).
    if (auto early = mergeRequestSpec(json::Json::object(), req.oci(), mergeOptions(id)); !early) {
      co_return fail(std::move(early).error());
    }
    {
      std::lock_guard lock(mutex);
      if (creating.count(id) > 0 || supervisor.status(id).has_value()) {
        co_return fail(Code::kAlreadyExists, "container {} already exists", id);
      }
      creating.insert(id);
    }
    Status created = co_await createReserved(req, *pull);
    std::lock_guard lock(mutex);
    creating.erase(id);
    if (!created) {
      co_return fail(std::move(created).error());
    }
    co_return Empty{};
  }

  awaitable<Status> createReserved(const grpc::CreateContainerRequest& req,
                                   const GuestPullRequest& pull) {
    const std::string& id = req.container_id();
    const std::filesystem::path bundle = bundleDir(id);
    const auto began = std::chrono::steady_clock::now();
    std::chrono::milliseconds pulled{};
    std::chrono::milliseconds store_wait{};
    Status prepared = co_await runBlocking([&]() -> Status {
      if (options.store_ready.valid()) {
        options.store_ready.wait();
        store_wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - began);
      }
      if (std::filesystem::exists(bundle)) {
        return fail(Code::kAlreadyExists, "bundle of container {} exists (removal pending?)", id);
      }
      if (options.pull) {
        COCOON_TRY(options.pull(pull, bundle));
      } else {
        COCOON_TRY(pullIntoBundle(pull, bundle, pull_options));
      }
      pulled = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - began);
      return writeMergedSpec(bundle, req.oci(), mergeOptions(id));
    });
    if (prepared) {
      prepared = co_await supervisor.createContainer({.id = id, .bundle = bundle});
    }
    if (!prepared) {
      if (prepared.error().code != Code::kAlreadyExists) {
        Status cleaned = co_await removeBundleDir(id);
        if (!cleaned) {
          COCOON_LOG(kError, "agent", "cleanup of {}: {}", id, cleaned.error().toString());
        }
      }
      co_return fail(std::move(prepared).error());
    }
    // The timeline the shim and the demo report: the pull includes the data hub's
    // attestation and key fetches.
    // The pull's figure includes the wait for the store (PID 1 sets it up while serving).
    // The memory figures are bench/runtime's "memory used by the agent and the image".
    auto memory = readGuestMemory();
    COCOON_LOG(kInfo, "agent",
               "container {} created from {}: pull {} ms, create {} ms (store wait {} ms); {}", id,
               pull.image, pulled.count(),
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - began - pulled)
                   .count(),
               store_wait.count(), memory ? memory->describe() : memory.error().toString());
    co_return okStatus();
  }

  awaitable<Result<Empty>> startContainer(const grpc::StartContainerRequest& req) {
    if (auto s = validateId("StartContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = co_await supervisor.startContainer(req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> removeContainer(const grpc::RemoveContainerRequest& req) {
    if (auto s = validateId("RemoveContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    const auto grace = req.timeout() == 0 ? options.default_grace
                                          : std::chrono::milliseconds(req.timeout() * 1000LL);
    if (auto s = co_await supervisor.removeContainer(req.container_id(), grace); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = co_await removeBundleDir(req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> execProcess(const grpc::ExecProcessRequest& req) {
    if (auto s = validateId("ExecProcess.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = validateId("ExecProcess.exec_id", req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (req.exec_id() == req.container_id()) {
      co_return fail(Code::kAlreadyExists, "ExecProcess.exec_id: {} names the init process",
                     req.exec_id());
    }
    if (req.process().args_size() == 0) {
      co_return fail(Code::kInvalidArgument, "ExecProcess.process.Args: empty");
    }
    json::Json process = processToJson(req.process());
    if (req.process().env_size() == 0) {
      // No environment given (ctr task exec of a container whose spec the guest merged):
      // the container's own, as its init process has it, so that PATH resolves the command.
      auto spec = readTextFile(bundleDir(req.container_id()) / "config.json", 4u << 20);
      auto parsed = spec ? json::parseJson(*spec) : Result<json::Json>(fail(spec.error()));
      if (parsed && parsed->contains("process") && (*parsed)["process"].contains("env")) {
        process["env"] = (*parsed)["process"]["env"];
      }
    }
    Status started = co_await supervisor.execProcess({.container_id = req.container_id(),
                                                      .exec_id = req.exec_id(),
                                                      .process = std::move(process)});
    if (!started) {
      co_return fail(std::move(started).error());
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> signalProcess(const grpc::SignalProcessRequest& req) {
    if (auto s = validateProcess("SignalProcess", req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (req.signal() < 1 || req.signal() > 64) {
      co_return fail(Code::kInvalidArgument, "SignalProcess.signal: {} is not in 1..64",
                     req.signal());
    }
    // kata: an empty exec_id signals every process of the container.
    const bool all = req.exec_id().empty();
    Status signalled = co_await supervisor.signalProcess(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()),
        static_cast<int>(req.signal()), all);
    if (!signalled) {
      co_return fail(std::move(signalled).error());
    }
    co_return Empty{};
  }

  awaitable<Result<grpc::WaitProcessResponse>> waitProcess(const grpc::WaitProcessRequest& req) {
    if (auto s = validateProcess("WaitProcess", req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    Result<container::ExitStatus> status = co_await supervisor.waitProcess(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()));
    if (!status) {
      co_return fail(std::move(status).error());
    }
    grpc::WaitProcessResponse resp;
    resp.set_status(*status);
    co_return resp;
  }

  awaitable<Result<Empty>> updateContainer(const grpc::UpdateContainerRequest& req) {
    if (auto s = validateId("UpdateContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = co_await supervisor.update(req.container_id(), resourcesToJson(req.resources()));
        !s) {
      co_return fail(std::move(s).error());
    }
    co_return Empty{};
  }

  awaitable<Result<grpc::StatsContainerResponse>> statsContainer(
      const grpc::StatsContainerRequest& req) {
    if (auto s = validateId("StatsContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    Result<container::ContainerStats> got = co_await supervisor.stats(req.container_id());
    if (!got) {
      co_return fail(std::move(got).error());
    }
    const container::ContainerStats& stats = *got;
    grpc::StatsContainerResponse resp;
    auto* cgroup = resp.mutable_cgroup_stats();
    auto* cpu = cgroup->mutable_cpu_stats()->mutable_cpu_usage();
    cpu->set_total_usage(stats.cpu_usage_ns);
    cpu->set_usage_in_usermode(stats.cpu_user_ns);
    cpu->set_usage_in_kernelmode(stats.cpu_system_ns);
    auto* memory = cgroup->mutable_memory_stats()->mutable_usage();
    memory->set_usage(stats.memory_usage_bytes);
    memory->set_limit(stats.memory_limit_bytes);
    cgroup->mutable_pids_stats()->set_current(stats.pids_current);
    cgroup->mutable_pids_stats()->set_limit(stats.pids_limit);
    co_return resp;
  }

  awaitable<Result<Empty>> pauseContainer(const grpc::PauseContainerRequest& req) {
    if (auto s = validateId("PauseContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = co_await supervisor.pause(req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> resumeContainer(const grpc::ResumeContainerRequest& req) {
    if (auto s = validateId("ResumeContainer.container_id", req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (auto s = co_await supervisor.resume(req.container_id()); !s) {
      co_return fail(std::move(s).error());
    }
    co_return Empty{};
  }

  awaitable<Result<grpc::WriteStreamResponse>> writeStdin(const grpc::WriteStreamRequest& req) {
    if (auto s = validateProcess("WriteStdin", req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    Result<std::size_t> written = co_await supervisor.writeStdin(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()), req.data());
    if (!written) {
      co_return fail(std::move(written).error());
    }
    grpc::WriteStreamResponse resp;
    resp.set_len(static_cast<std::uint32_t>(*written));
    co_return resp;
  }

  awaitable<Result<grpc::ReadStreamResponse>> readStream(const grpc::ReadStreamRequest& req,
                                                         container::OutputStream stream) {
    const char* name = stream == container::OutputStream::kStdout ? "ReadStdout" : "ReadStderr";
    if (auto s = validateProcess(name, req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (req.len() == 0) {
      co_return fail(Code::kInvalidArgument, "{}.len: 0", name);
    }
    Result<std::string> data = co_await supervisor.readOutput(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()), stream,
        std::min<std::size_t>(req.len(), kMaxReadChunk));
    if (!data) {
      co_return fail(std::move(data).error());
    }
    grpc::ReadStreamResponse resp;
    resp.set_data(std::move(*data));
    co_return resp;
  }

  awaitable<Result<grpc::ReadStreamResponse>> readStdout(const grpc::ReadStreamRequest& req) {
    co_return co_await readStream(req, container::OutputStream::kStdout);
  }

  awaitable<Result<grpc::ReadStreamResponse>> readStderr(const grpc::ReadStreamRequest& req) {
    co_return co_await readStream(req, container::OutputStream::kStderr);
  }

  awaitable<Result<Empty>> closeStdin(const grpc::CloseStdinRequest& req) {
    if (auto s = validateProcess("CloseStdin", req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    Status closed = co_await supervisor.closeStdin(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()));
    if (!closed) {
      co_return fail(std::move(closed).error());
    }
    co_return Empty{};
  }

  awaitable<Result<Empty>> ttyWinResize(const grpc::TtyWinResizeRequest& req) {
    if (auto s = validateProcess("TtyWinResize", req.container_id(), req.exec_id()); !s) {
      co_return fail(std::move(s).error());
    }
    if (req.row() > 0xffff || req.column() > 0xffff) {
      co_return fail(Code::kInvalidArgument, "TtyWinResize: {}x{} exceeds 65535", req.row(),
                     req.column());
    }
    Status resized = co_await supervisor.resizeTerminal(
        req.container_id(), supervisorExecId(req.container_id(), req.exec_id()),
        static_cast<std::uint16_t>(req.row()), static_cast<std::uint16_t>(req.column()));
    if (!resized) {
      co_return fail(std::move(resized).error());
    }
    co_return Empty{};
  }

  awaitable<Result<grpc::GuestDetailsResponse>> getGuestDetails(
      const grpc::GuestDetailsRequest& req) {
    grpc::GuestDetailsResponse resp;
    if (req.mem_block_size()) {
      auto text = readTextFile("/sys/devices/system/memory/block_size_bytes", 64);
      if (text) {
        resp.set_mem_block_size_bytes(std::strtoull(text->c_str(), nullptr, 16));
      }
    }
    if (req.mem_hotplug_probe()) {
      std::error_code ec;
      resp.set_support_mem_hotplug_probe(
          std::filesystem::exists("/sys/devices/system/memory/probe", ec));
    }
    auto* details = resp.mutable_agent_details();
    details->set_version(options.version);
    details->set_init_daemon(options.init_daemon);
    details->add_storage_handlers(kImageGuestPullDriver);
    details->set_supports_seccomp(true);  // the OCI runtime applies the spec's seccomp
    details->add_extra_features("agent-policy");
    co_return resp;
  }

  awaitable<Result<Empty>> setPolicy(const grpc::SetPolicyRequest& req) {
    Result<policy::AgentPolicy> parsed = policy::parseAgentPolicy(req.policy());
    if (!parsed) {
      co_return fail(std::move(parsed).error());
    }
    auto next = std::make_shared<const policy::AgentPolicy>(std::move(*parsed));
    std::lock_guard lock(mutex);
    COCOON_LOG(kWarn, "agent", "agent policy {} replaced by {} (SetPolicy)", policy->id(),
               next->id());
    policy = std::move(next);
    co_return Empty{};
  }

  // ---- grpc.Health ----

  awaitable<Result<grpc::HealthCheckResponse>> check(const grpc::CheckRequest&) {
    grpc::HealthCheckResponse resp;
    resp.set_status(grpc::HealthCheckResponse::SERVING);
    co_return resp;
  }

  awaitable<Result<grpc::VersionCheckResponse>> version(const grpc::CheckRequest&) {
    grpc::VersionCheckResponse resp;
    resp.set_grpc_version("ttrpc");
    resp.set_agent_version(options.version);
    co_return resp;
  }

  // Adds `method` to the handler table; AgentService methods go through the policy first.
  template <class Req, class Resp>
  void add(const char* service, const char* name,
           awaitable<Result<Resp>> (Impl::*method)(const Req&)) {
    const bool checked = std::string_view(service) == kAgentServiceName;
    handlers.push_back({service, name,
                        [this, name, method,
                         checked](const ttrpc::Request& request) -> awaitable<Result<std::string>> {
                          Req req;
                          if (!req.ParseFromString(request.payload)) {
                            co_return fail(Code::kInvalidArgument,
                                           "undecodable {} payload ({} bytes)", req.GetTypeName(),
                                           request.payload.size());
                          }
                          if (checked) {
                            if (auto s = checkPolicy(name, req); !s) {
                              co_return fail(std::move(s).error());
                            }
                          }
                          Result<Resp> resp = co_await (this->*method)(req);
                          if (!resp) {
                            co_return fail(std::move(resp).error());
                          }
                          co_return resp->SerializeAsString();
                        }});
  }

  void addAll() {
    const char* a = kAgentServiceName;
    add(a, "CreateSandbox", &Impl::createSandbox);
    add(a, "DestroySandbox", &Impl::destroySandbox);
    add(a, "CreateContainer", &Impl::createContainer);
    add(a, "StartContainer", &Impl::startContainer);
    add(a, "RemoveContainer", &Impl::removeContainer);
    add(a, "ExecProcess", &Impl::execProcess);
    add(a, "SignalProcess", &Impl::signalProcess);
    add(a, "WaitProcess", &Impl::waitProcess);
    add(a, "UpdateContainer", &Impl::updateContainer);
    add(a, "StatsContainer", &Impl::statsContainer);
    add(a, "PauseContainer", &Impl::pauseContainer);
    add(a, "ResumeContainer", &Impl::resumeContainer);
    add(a, "WriteStdin", &Impl::writeStdin);
    add(a, "ReadStdout", &Impl::readStdout);
    add(a, "ReadStderr", &Impl::readStderr);
    add(a, "CloseStdin", &Impl::closeStdin);
    add(a, "TtyWinResize", &Impl::ttyWinResize);
    add(a, "GetGuestDetails", &Impl::getGuestDetails);
    add(a, "SetPolicy", &Impl::setPolicy);
    add(kHealthServiceName, "Check", &Impl::check);
    add(kHealthServiceName, "Version", &Impl::version);
  }

  struct Method {
    std::string service;
    std::string name;
    ttrpc::Handler handler;
  };
  // Filled once by create(); read-only afterwards, so calls need no lock.
  std::vector<Method> handlers;
};

AgentService::AgentService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AgentService::~AgentService() {
  impl_->blocking.join();
}

Result<std::unique_ptr<AgentService>> AgentService::create(Supervisor& supervisor,
                                                           policy::AgentPolicy policy,
                                                           AgentServiceOptions options) {
  auto impl = std::make_unique<Impl>(supervisor, std::move(policy), std::move(options));
  const AgentConfig& config = impl->options.config;
  COCOON_TRY(createDirectories(config.state_dir / "containers"));
  COCOON_ASSIGN_OR_RETURN(impl->hub, makeDataHub(config));
  COCOON_ASSIGN_OR_RETURN(impl->pull_options, makeGuestPullOptions(config, impl->hub.get()));
  impl->addAll();
  return std::unique_ptr<AgentService>(new AgentService(std::move(impl)));
}

std::string AgentService::policyId() const {
  return impl_->currentPolicy()->id();
}

std::filesystem::path AgentService::bundleDir(const std::string& container_id) const {
  return impl_->bundleDir(container_id);
}

Status AgentService::registerOn(ttrpc::Server& server) {
  for (const Impl::Method& method : impl_->handlers) {
    COCOON_TRY(server.registerMethod(method.service, method.name, method.handler));
  }
  return okStatus();
}

asio::awaitable<Result<std::string>> AgentService::call(ttrpc::Request request) {
  for (const Impl::Method& method : impl_->handlers) {
    if (method.service == request.service && method.name == request.method) {
      co_return co_await method.handler(request);
    }
  }
  co_return fail(Code::kUnimplemented, "{}/{}: not served", request.service.substr(0, 64),
                 request.method.substr(0, 64));
}

}  // namespace cocoon::agent
