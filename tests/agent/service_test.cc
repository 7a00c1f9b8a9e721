// SPDX-License-Identifier: Apache-2.0
// AgentService over a unix socket with a FakeSupervisor: policy decisions, validation of
// hostile requests, the kata exec_id conventions, and concurrency. The real supervisor and
// image pulls are covered by agent_e2e_test.cc.
#include "agent/agent_service.h"

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/fake_supervisor.h"
#include "common/files.h"
#include "proto/agent/agent.pb.h"
#include "proto/agent/health.pb.h"
#include "support/expect.h"
#include "ttrpc/client.h"

namespace cocoon::agent {
namespace {

namespace asio = boost::asio;
using cocoon::test::expectError;
using Empty = google::protobuf::Empty;

class AgentServiceTest : public ::testing::Test {
 protected:
  void TearDown() override { stopAll(); }

  void startWith(std::string_view policy_text, std::string refusal = {}) {
    auto dir = TempDir::create("agent-service");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto policy = policy::parseAgentPolicy(policy_text);
    ASSERT_TRUE(policy) << policy.error().toString();
    AgentServiceOptions options;
    options.refusal = std::move(refusal);
    options.config.state_dir = dir_->path() / "state";
    options.config.image.insecure_registries = {"127.0.0.1:1"};
    options.version = "9.9.9";
    options.on_destroy_sandbox = [this] { destroyed_ = true; };
    options.pull = pull_;
    auto service = AgentService::create(fake_, std::move(*policy), std::move(options));
    ASSERT_TRUE(service) << service.error().toString();
    service_ = std::move(*service);
    server_ = std::make_unique<ttrpc::Server>(ttrpc::ServerOptions{.threads = 2});
    ASSERT_TRUE(service_->registerOn(*server_));
    const ttrpc::Address address{.kind = ttrpc::Address::Kind::kUnix,
                                 .path = (dir_->path() / "agent.sock").string()};
    ASSERT_TRUE(server_->listen(address));
    ASSERT_TRUE(server_->start());
    io_thread_ = std::thread([this] { io_.run(); });
    auto client = ttrpc::Client::connect(io_.get_executor(), address);
    ASSERT_TRUE(client) << client.error().toString();
    client_ = std::move(*client);
  }

  void stopAll() {
    if (client_) {
      client_->close();
    }
    if (server_) {
      server_->stop();
    }
    guard_.reset();
    io_.stop();
    if (io_thread_.joinable()) {
      io_thread_.join();
    }
  }

  template <class Resp = Empty, class Req>
  Result<Resp> call(const std::string& method, const Req& request,
                    const std::string& service = kAgentServiceName) {
    COCOON_ASSIGN_OR_RETURN(std::string answer,
                            client_->callBlocking(service, method, request.SerializeAsString()));
    Resp resp;
    if (!resp.ParseFromString(answer)) {
      return fail(Code::kInternal, "undecodable answer");
    }
    return resp;
  }

  test::FakeSupervisor fake_;
  std::function<Status(const GuestPullRequest&, const std::filesystem::path&)> pull_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<AgentService> service_;
  std::unique_ptr<ttrpc::Server> server_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::thread io_thread_;
  std::unique_ptr<ttrpc::Client> client_;
  std::atomic<bool> destroyed_{false};
};

// What a pulled image leaves in its bundle.
Status stubPull(const GuestPullRequest&, const std::filesystem::path& bundle) {
  COCOON_TRY(createDirectories(bundle / "rootfs"));
  return writeFileAtomic(
      bundle / "config.json",
      asBytes(std::string_view(R"({"ociVersion":"1.0.2","process":{"args":["/bin/sh"],)"
                               R"("env":["PATH=/bin"],"cwd":"/"},"root":{"path":"rootfs"}})")));
}

grpc::CreateContainerRequest createRequest(const std::string& id) {
  grpc::CreateContainerRequest req;
  req.set_container_id(id);
  grpc::Storage* storage = req.add_storages();
  storage->set_driver("image_guest_pull");
  storage->set_source("127.0.0.1:1/test/busybox:v1");
  req.mutable_oci()->mutable_process()->add_args("echo");
  req.mutable_oci()->mutable_process()->add_args("hi");
  for (const char* type : {"mount", "ipc", "uts", "pid"}) {
    req.mutable_oci()->mutable_linux()->add_namespaces()->set_type(type);
  }
  return req;
}

grpc::ExecProcessRequest execRequest() {
  grpc::ExecProcessRequest req;
  req.set_container_id("c1");
  req.set_exec_id("e1");
  req.mutable_process()->add_args("/bin/sh");
  return req;
}

TEST_F(AgentServiceTest, HealthCheckAndVersion) {
  startWith(policy::confidentialDefaultPolicyText());
  grpc::CheckRequest req;
  auto health = call<grpc::HealthCheckResponse>("Check", req, kHealthServiceName);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_EQ(health->status(), grpc::HealthCheckResponse::SERVING);
  auto version = call<grpc::VersionCheckResponse>("Version", req, kHealthServiceName);
  ASSERT_TRUE(version) << version.error().toString();
  EXPECT_EQ(version->agent_version(), "9.9.9");
}

TEST_F(AgentServiceTest, ExecProcessDeniedByConfidentialDefault) {
  startWith(policy::confidentialDefaultPolicyText());
  fake_.addContainer("c1");
  expectError(call("ExecProcess", execRequest()), Code::kPermissionDenied, "ExecProcess denied");
  for (const auto& c : fake_.calls()) {
    EXPECT_NE(c.name, "execProcess");
  }
  grpc::ReadStreamRequest read;
  read.set_container_id("c1");
  read.set_len(10);
  expectError(call("ReadStdout", read), Code::kPermissionDenied, "ReadStdout denied");
}

// Init-data that cannot take effect: every AgentService request is refused with the
// reason, whatever the policy, while Health answers so the host sees the reason.
TEST_F(AgentServiceTest, RefusalDeniesEveryRequestButHealth) {
  startWith(policy::permissiveDevelopmentPolicyText(), "init-data /dev/vdb: bad magic");
  grpc::CreateSandboxRequest create;
  create.set_hostname("h");
  expectError(call("CreateSandbox", create), Code::kPermissionDenied,
              "CreateSandbox refused: init-data /dev/vdb: bad magic");
  fake_.addContainer("c1");
  expectError(call("ExecProcess", execRequest()), Code::kPermissionDenied,
              "ExecProcess refused: init-data /dev/vdb: bad magic");
  grpc::CheckRequest check;
  auto health = call<grpc::HealthCheckResponse>("Check", check, kHealthServiceName);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_EQ(health->status(), grpc::HealthCheckResponse::SERVING);
}

TEST_F(AgentServiceTest, ExecProcessAllowedByPermissivePolicy) {
  startWith(policy::permissiveDevelopmentPolicyText());
  fake_.addContainer("c1");
  auto r = call("ExecProcess", execRequest());
  ASSERT_TRUE(r) << r.error().toString();
  auto calls = fake_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "execProcess");
  EXPECT_EQ(calls[0].exec_id, "e1");
  EXPECT_EQ(calls[0].detail, R"(["/bin/sh"])");
}

TEST_F(AgentServiceTest, ExecProcessNeedsArgsAndItsOwnId) {
  startWith(policy::permissiveDevelopmentPolicyText());
  auto req = execRequest();
  req.set_exec_id("c1");
  expectError(call("ExecProcess", req), Code::kAlreadyExists, "names the init process");
  req = execRequest();
  req.mutable_process()->clear_args();
  expectError(call("ExecProcess", req), Code::kInvalidArgument, "ExecProcess.process.Args");
}

TEST_F(AgentServiceTest, MalformedIdsAreRefusedBeforeTheSupervisor) {
  startWith(policy::permissiveDevelopmentPolicyText());
  grpc::StartContainerRequest start;
  for (const std::string& id :
       std::vector<std::string>{"", "../etc", "a/b", "-x", std::string(129, 'a')}) {
    start.set_container_id(id);
    expectError(call("StartContainer", start), Code::kInvalidArgument,
                "StartContainer.container_id");
  }
  grpc::WaitProcessRequest wait;
  wait.set_container_id("c1");
  wait.set_exec_id("e/1");
  expectError(call("WaitProcess", wait), Code::kInvalidArgument, "WaitProcess.exec_id");
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(AgentServiceTest, GarbageProtobufIsRefusedAndTheAgentKeepsServing) {
  startWith(policy::permissiveDevelopmentPolicyText());
  auto garbage = client_->callBlocking(kAgentServiceName, "CreateContainer", "\xff\xff\xff\x0f");
  expectError(garbage, Code::kInvalidArgument, "undecodable grpc.CreateContainerRequest");
  auto unknown = client_->callBlocking(kAgentServiceName, "PullImage", "");
  expectError(unknown, Code::kUnimplemented, "");
  auto health = call<grpc::HealthCheckResponse>("Check", grpc::CheckRequest{}, kHealthServiceName);
  ASSERT_TRUE(health) << health.error().toString();
}

TEST_F(AgentServiceTest, KataExecIdConventions) {
  startWith(policy::permissiveDevelopmentPolicyText());
  fake_.addContainer("c1");
  grpc::SignalProcessRequest signal;
  signal.set_container_id("c1");
  signal.set_signal(9);
  ASSERT_TRUE(call("SignalProcess", signal));  // empty exec_id: every process
  signal.set_exec_id("c1");
  ASSERT_TRUE(call("SignalProcess", signal));  // the container id: the init process
  signal.set_signal(65);
  expectError(call("SignalProcess", signal), Code::kInvalidArgument, "not in 1..64");
  grpc::WaitProcessRequest wait;
  wait.set_container_id("c1");
  wait.set_exec_id("c1");
  auto status = call<grpc::WaitProcessResponse>("WaitProcess", wait);
  ASSERT_TRUE(status) << status.error().toString();
  EXPECT_EQ(status->status(), 3);
  auto calls = fake_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].detail, "9 all=true");
  EXPECT_EQ(calls[1].exec_id, "");
  EXPECT_EQ(calls[1].detail, "9 all=false");
  EXPECT_EQ(calls[2].exec_id, "");
}

TEST_F(AgentServiceTest, SupervisorErrorsReachTheCaller) {
  startWith(policy::permissiveDevelopmentPolicyText());
  grpc::PauseContainerRequest pause;
  pause.set_container_id("nope");
  expectError(call("PauseContainer", pause), Code::kNotFound, "container nope not found");
}

TEST_F(AgentServiceTest, ReadOfZeroBytesIsInvalid) {
  startWith(policy::permissiveDevelopmentPolicyText());
  grpc::ReadStreamRequest read;
  read.set_container_id("c1");
  expectError(call("ReadStderr", read), Code::kInvalidArgument, "ReadStderr.len: 0");
}

TEST_F(AgentServiceTest, CreateContainerRefusesHostMountsBeforePulling) {
  startWith(policy::permissiveDevelopmentPolicyText());
  grpc::CreateContainerRequest req;
  req.set_container_id("c2");
  grpc::Storage* storage = req.add_storages();
  storage->set_driver("image_guest_pull");
  storage->set_source("127.0.0.1:1/never/pulled:v1");
  grpc::Mount* mount = req.mutable_oci()->add_mounts();
  mount->set_destination("/host");
  mount->set_type("bind");
  mount->set_source("/etc");
  expectError(call("CreateContainer", req), Code::kPermissionDenied, "outside the sandbox");
  req.mutable_oci()->clear_mounts();
  req.clear_storages();
  expectError(call("CreateContainer", req), Code::kInvalidArgument, "no image_guest_pull");
  EXPECT_TRUE(fake_.calls().empty());
  EXPECT_FALSE(std::filesystem::exists(service_->bundleDir("c2")));
}

TEST_F(AgentServiceTest, CreateContainerMergesTheRequestIntoThePulledSpec) {
  std::vector<std::string> pulled;
  pull_ = [&](const GuestPullRequest& req, const std::filesystem::path& bundle) {
    pulled.push_back(req.image);
    return stubPull(req, bundle);
  };
  startWith(policy::confidentialDefaultPolicyText());
  ASSERT_TRUE(call("CreateContainer", createRequest("c2")));
  EXPECT_EQ(pulled, std::vector<std::string>{"127.0.0.1:1/test/busybox:v1"});
  auto text = readTextFile(service_->bundleDir("c2") / "config.json", 1 << 20);
  ASSERT_TRUE(text) << text.error().toString();
  auto spec = json::parseJson(*text);
  ASSERT_TRUE(spec);
  EXPECT_EQ((*spec)["process"]["args"], json::Json::array({"echo", "hi"}));
  const auto calls = fake_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "createContainer");
  EXPECT_EQ(calls[0].detail, service_->bundleDir("c2").string());
  expectError(call("CreateContainer", createRequest("c2")), Code::kAlreadyExists, "c2");
}

TEST_F(AgentServiceTest, FailedPullLeavesNoBundle) {
  pull_ = [](const GuestPullRequest& req, const std::filesystem::path& bundle) -> Status {
    COCOON_TRY(stubPull(req, bundle));
    return fail(Code::kPermissionDenied, "layer key withheld");
  };
  startWith(policy::confidentialDefaultPolicyText());
  expectError(call("CreateContainer", createRequest("c2")), Code::kPermissionDenied,
              "layer key withheld");
  EXPECT_FALSE(std::filesystem::exists(service_->bundleDir("c2")));
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(AgentServiceTest, DirectCallTakesTheServersPath) {
  startWith(policy::confidentialDefaultPolicyText());
  auto run = [&](ttrpc::Request request) {
    asio::io_context io;
    auto answer = asio::co_spawn(io, service_->call(request), asio::use_future);
    io.run();
    return answer.get();
  };
  expectError(run({.service = kAgentServiceName, .method = "Nope"}), Code::kUnimplemented,
              "grpc.AgentService/Nope: not served");
  expectError(run({.service = kAgentServiceName, .method = "StartContainer", .payload = "\xff"}),
              Code::kInvalidArgument, "undecodable");
  expectError(run({.service = kAgentServiceName,
                   .method = "ExecProcess",
                   .payload = execRequest().SerializeAsString()}),
              Code::kPermissionDenied, "ExecProcess denied");
  grpc::HealthCheckResponse health;
  auto answer = run({.service = kHealthServiceName, .method = "Check"});
  ASSERT_TRUE(answer) << answer.error().toString();
  ASSERT_TRUE(health.ParseFromString(*answer));
  EXPECT_EQ(health.status(), grpc::HealthCheckResponse::SERVING);
}

TEST_F(AgentServiceTest, SetPolicyDeniedByDefaultAndReplacesWhenAllowed) {
  startWith(policy::confidentialDefaultPolicyText());
  grpc::SetPolicyRequest set;
  set.set_policy(std::string(policy::permissiveDevelopmentPolicyText()));
  expectError(call("SetPolicy", set), Code::kPermissionDenied, "SetPolicy denied");
  stopAll();
}

TEST_F(AgentServiceTest, SetPolicyToTheConfidentialDefault) {
  startWith(policy::permissiveDevelopmentPolicyText());
  fake_.addContainer("c1");
  grpc::SetPolicyRequest set;
  set.set_policy("{not a policy");
  expectError(call("SetPolicy", set), Code::kInvalidArgument, "");
  set.set_policy(std::string(policy::confidentialDefaultPolicyText()));
  ASSERT_TRUE(call("SetPolicy", set));
  expectError(call("ExecProcess", execRequest()), Code::kPermissionDenied, "ExecProcess denied");
}

TEST_F(AgentServiceTest, GuestDetailsAndDestroySandbox) {
  startWith(policy::confidentialDefaultPolicyText());
  auto details = call<grpc::GuestDetailsResponse>("GetGuestDetails", grpc::GuestDetailsRequest{});
  ASSERT_TRUE(details) << details.error().toString();
  EXPECT_EQ(details->agent_details().version(), "9.9.9");
  EXPECT_FALSE(details->agent_details().init_daemon());
  ASSERT_EQ(details->agent_details().storage_handlers_size(), 1);
  EXPECT_EQ(details->agent_details().storage_handlers(0), "image_guest_pull");
  fake_.addContainer("c1");
  ASSERT_TRUE(call("DestroySandbox", grpc::DestroySandboxRequest{}));
  EXPECT_TRUE(destroyed_);
  EXPECT_TRUE(fake_.containerIds().empty());
}

TEST_F(AgentServiceTest, HundredConcurrentCalls) {
  startWith(policy::permissiveDevelopmentPolicyText());
  fake_.addContainer("c1");
  grpc::StatsContainerRequest stats;
  stats.set_container_id("c1");
  std::vector<std::future<Result<grpc::StatsContainerResponse>>> pending;
  for (int i = 0; i < 100; ++i) {
    pending.push_back(asio::co_spawn(io_,
                                     client_->callTyped<grpc::StatsContainerResponse>(
                                         kAgentServiceName, "StatsContainer", stats),
                                     asio::use_future));
  }
  for (auto& p : pending) {
    auto r = p.get();
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(r->cgroup_stats().cpu_stats().cpu_usage().total_usage(), 5u);
  }
  EXPECT_EQ(fake_.calls().size(), 100u);
}

}  // namespace
}  // namespace cocoon::agent
