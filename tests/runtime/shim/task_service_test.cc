// SPDX-License-Identifier: Apache-2.0
// TaskService under concurrent containerd calls, against real components: the shim's
// ttrpc server, a process-backend sandbox running the real cocoon-agent (runc), and a
// docker-registry with a busybox image, reached directly or through a GatedForward that
// holds a guest pull in flight for as long as the test needs.
#include "runtime/shim/task_service.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "agent/agent_env.h"
#include "common/files.h"
#include "json/json.h"
#include "runtime/agent_client/agent_client.h"
#include "runtime/shim/bundle.h"
#include "runtime/shim/gated_forward.h"
#include "support/expect.h"

namespace cocoon::runtime::shim {
namespace {

namespace fs = std::filesystem;
namespace v2 = containerd::task::v2;
namespace types = containerd::v1::types;
using cocoon::test::expectError;
using std::chrono::milliseconds;
using std::chrono::seconds;

// An answer slower than this means the call waited on something else (a lock, a thread).
constexpr seconds kPromptly{5};

// What a call that cannot block on anything long gets: a deadline after which it failed.
template <class Resp, class Req>
Result<Resp> callShim(AgentClient& shim, const char* method, const Req& request,
                      std::optional<milliseconds> timeout = kPromptly) {
  return shim.call<Resp>(method, request, timeout);
}

class TaskServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string reason = agent::test::e2eSkipReason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    auto env = agent::test::AgentEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
    const std::string registry = env_->image().substr(0, env_->image().find('/'));
    auto port = registry.substr(registry.find(':') + 1);
    auto forward = test::GatedForward::start(static_cast<std::uint16_t>(std::stoi(port)));
    ASSERT_TRUE(forward) << forward.error().toString();
    forward_ = std::move(*forward);
    gated_image_ = forward_->host() + env_->image().substr(registry.size());
    ASSERT_TRUE(
        writeFileAtomic(dir() / "agent.toml",
                        asBytes(fmt::format("[image]\ninsecure_registries = [\"{}\", \"{}\"]\n",
                                            registry, forward_->host()))));

    config::RuntimeConfig config;
    config.sandbox.backend = "process";
    config.sandbox.agent_binary = COCOON_AGENT_BINARY;
    config.sandbox.oci_runtime = "/usr/sbin/runc";
    config.sandbox.agent_config = dir() / "agent.toml";
    config.sandbox.permissive_policy = true;
    config.timeouts.boot = seconds(30);
    // An agent in the middle of a held pull ignores SIGTERM: do not wait the default 10 s.
    config.timeouts.shutdown = seconds(2);
    TaskServiceOptions options;
    options.config = config;
    options.start_sandbox = [config](const sandbox::SandboxSpec& spec) {
      return sandbox::startSandbox(config, spec);
    };
    options.sandboxes_dir = dir() / "sandboxes";
    service_ = std::make_unique<TaskService>(std::move(options));
    // Two threads, as few as a loaded shim may have free: a call that holds one for long
    // (a Wait, a pull) shows up as State not being answered.
    server_ = std::make_unique<ttrpc::Server>(ttrpc::ServerOptions{.threads = 2});
    ASSERT_TRUE(service_->registerOn(*server_));
    ttrpc::Address address;
    address.path = (dir() / "shim.sock").string();
    ASSERT_TRUE(server_->listen(address));
    ASSERT_TRUE(server_->start());
    auto shim = AgentClient::open(address, kTaskService);
    ASSERT_TRUE(shim) << shim.error().toString();
    shim_ = std::move(*shim);
  }

  void TearDown() override {
    if (shim_) {
      shim_->close();
    }
    // The server first: destroying it destroys the coroutines of calls still parked in
    // the service (a Wait of a failed test), which must not outlive the service.
    server_.reset();
    service_.reset();  // stops the sandbox if a test left it running
    forward_.reset();
    env_.reset();
  }

  fs::path dir() const { return env_->dir(); }

  // A bundle whose config.json runs `args` from `image`; `pod`: the CRI pod it is part of
  // ("" = none); `is_pod_sandbox`: it is that pod's pause container.
  std::string bundle(const std::string& id, const std::string& image,
                     const std::vector<std::string>& args, const std::string& pod = "",
                     bool is_pod_sandbox = false) {
    json::Json annotations = json::Json::object();
    if (!pod.empty()) {
      annotations[std::string(kCriContainerType)] = is_pod_sandbox ? "sandbox" : "container";
      annotations[std::string(kCriSandboxId)] = pod;
    }
    if (!image.empty()) {
      annotations[std::string(kCocoonImage)] = image;
    }
    json::Json config = {{"process", {{"args", args}, {"env", {"PATH=/bin"}}, {"cwd", "/"}}},
                         {"annotations", annotations}};
    const fs::path path = dir() / "bundles" / id;
    EXPECT_TRUE(createDirectories(path));
    EXPECT_TRUE(writeFileAtomic(path / "config.json", asBytes(config.dump())));
    return path.string();
  }

  Result<v2::CreateTaskResponse> create(const std::string& id, const std::string& bundle_dir) {
    v2::CreateTaskRequest request;
    request.set_id(id);
    request.set_bundle(bundle_dir);
    return shim_->call<v2::CreateTaskResponse>("Create", request, seconds(120));
  }

  Result<v2::StateResponse> state(const std::string& id) {
    v2::StateRequest request;
    request.set_id(id);
    return callShim<v2::StateResponse>(*shim_, "State", request);
  }

  Status kill(const std::string& id, std::uint32_t signal) {
    v2::KillRequest request;
    request.set_id(id);
    request.set_signal(signal);
    COCOON_TRY(callShim<google::protobuf::Empty>(*shim_, "Kill", request));
    return okStatus();
  }

  Result<v2::DeleteResponse> remove(const std::string& id) {
    v2::DeleteRequest request;
    request.set_id(id);
    return callShim<v2::DeleteResponse>(*shim_, "Delete", request, seconds(30));
  }

  // A Wait with no deadline, as containerd sends it, answered on another thread.
  std::future<Result<v2::WaitResponse>> waitAsync(const std::string& id) {
    return std::async(std::launch::async, [this, id] {
      v2::WaitRequest request;
      request.set_id(id);
      return shim_->call<v2::WaitResponse>("Wait", request, std::nullopt);
    });
  }

  // Returns once `n` Wait calls are parked in the service (or the deadline passed).
  bool waitersParked(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (service_->waitingCallsForTest() < n) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(2));  // polls a condition, no timing guess
    }
    return true;
  }

  std::unique_ptr<agent::test::AgentEnv> env_;
  std::unique_ptr<test::GatedForward> forward_;
  std::string gated_image_;
  std::unique_ptr<TaskService> service_;
  std::unique_ptr<ttrpc::Server> server_;
  std::unique_ptr<AgentClient> shim_;
};

// Before Wait was asynchronous each waiter held a server thread: two waiters here and
// State, Kill and Delete were never answered.
TEST_F(TaskServiceTest, ManyWaitersLeaveStateKillAndDeleteAnswered) {
  ASSERT_TRUE(create("c1", bundle("c1", env_->image(), {"/bin/sleep", "300"})));
  v2::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(callShim<v2::StartResponse>(*shim_, "Start", start, seconds(30)));
  constexpr std::size_t kWaiters = 16;
  std::vector<std::future<Result<v2::WaitResponse>>> waits;
  for (std::size_t i = 0; i < kWaiters; ++i) {
    waits.push_back(waitAsync("c1"));
  }
  ASSERT_TRUE(waitersParked(kWaiters));
  auto running = state("c1");
  ASSERT_TRUE(running) << running.error().toString();
  EXPECT_EQ(running->status(), types::RUNNING);
  expectError(remove("c1"), Code::kFailedPrecondition, "c1 is still running: kill it first");
  ASSERT_TRUE(kill("c1", SIGKILL));
  for (auto& wait : waits) {
    auto exit = wait.get();
    ASSERT_TRUE(exit) << exit.error().toString();
    EXPECT_EQ(exit->exit_status(), 128u + SIGKILL);
  }
  EXPECT_EQ(service_->waitingCallsForTest(), 0u);
  // A Wait after the exit answers at once.
  auto late = waitAsync("c1").get();
  ASSERT_TRUE(late) << late.error().toString();
  EXPECT_EQ(late->exit_status(), 128u + SIGKILL);
  auto removed = remove("c1");
  ASSERT_TRUE(removed) << removed.error().toString();
  EXPECT_EQ(removed->exit_status(), 128u + SIGKILL);
  expectError(state("c1"), Code::kNotFound, "container c1 not found");
}

// Before, Create held the service's lock through the guest pull: State of every other
// container of the sandbox waited for the pull (and containerd timed out).
TEST_F(TaskServiceTest, OtherContainersAreAnsweredWhileACreatePulls) {
  ASSERT_TRUE(create("pod", bundle("pod", "", {"/pause"}, "pod", true)));
  ASSERT_TRUE(create("a", bundle("a", env_->image(), {"/bin/sleep", "300"}, "pod")));
  v2::StartRequest start;
  start.set_id("a");
  ASSERT_TRUE(callShim<v2::StartResponse>(*shim_, "Start", start, seconds(30)));

  const std::string b_bundle = bundle("b", gated_image_, {"/bin/true"}, "pod");
  auto b_created = std::async(std::launch::async, [&] { return create("b", b_bundle); });
  ASSERT_TRUE(forward_->waitForConnection(seconds(60))) << "the guest pull of b never started";
  // b's pull is now held in flight by the gate.
  auto a_state = state("a");
  ASSERT_TRUE(a_state) << a_state.error().toString();
  EXPECT_EQ(a_state->status(), types::RUNNING);
  expectError(create("b", b_bundle), Code::kAlreadyExists, "container b already exists");
  expectError(state("b"), Code::kFailedPrecondition, "container b is being created");
  expectError(kill("b", SIGKILL), Code::kFailedPrecondition, "container b is being created");
  expectError(remove("b"), Code::kFailedPrecondition, "container b is being created");
  // containerd's Shutdown while b is being created: the shim stays.
  ASSERT_TRUE(callShim<google::protobuf::Empty>(*shim_, "Shutdown", v2::ShutdownRequest{}));
  auto a_exit = waitAsync("a");
  ASSERT_TRUE(waitersParked(1));
  ASSERT_TRUE(kill("a", SIGKILL));  // sleep is the container's pid 1: it ignores SIGTERM
  auto a_exited = a_exit.get();
  ASSERT_TRUE(a_exited) << a_exited.error().toString();
  EXPECT_EQ(a_exited->exit_status(), 128u + SIGKILL);

  forward_->open();
  auto b = b_created.get();
  ASSERT_TRUE(b) << b.error().toString();
  auto b_state = state("b");
  ASSERT_TRUE(b_state) << b_state.error().toString();
  EXPECT_EQ(b_state->status(), types::CREATED);

  // A Wait on a process that never ran ends when it is deleted.
  auto b_wait = waitAsync("b");
  ASSERT_TRUE(waitersParked(1));
  ASSERT_TRUE(remove("b"));
  expectError(b_wait.get(), Code::kNotFound,
              "process init of container b was deleted before it ran");
  ASSERT_TRUE(remove("a"));
  ASSERT_TRUE(remove("pod"));
  EXPECT_FALSE(fs::exists(dir() / "sandboxes" / "pod"));
}

// The pod's sandbox container deleted while another container's pull is in flight: the
// sandbox stops, that Create fails, and its id is free again.
TEST_F(TaskServiceTest, DeletingThePodDuringACreateFailsItAndFreesTheId) {
  ASSERT_TRUE(create("pod", bundle("pod", "", {"/pause"}, "pod", true)));
  const std::string b_bundle = bundle("b", gated_image_, {"/bin/true"}, "pod");
  auto b_created = std::async(std::launch::async, [&] { return create("b", b_bundle); });
  ASSERT_TRUE(forward_->waitForConnection(seconds(60))) << "the guest pull of b never started";
  ASSERT_TRUE(remove("pod"));
  // The shim closed its connection to the agent in the middle of the call.
  expectError(b_created.get(), Code::kUnavailable,
              "Create: CreateContainer: ttrpc connection closed");
  expectError(state("b"), Code::kNotFound, "container b not found");
  EXPECT_FALSE(fs::exists(dir() / "sandboxes" / "pod"));
}

// A Create whose pull fails leaves nothing: the id can be created again.
TEST_F(TaskServiceTest, FailedCreateFreesTheId) {
  const std::string missing = env_->image().substr(0, env_->image().find('/')) + "/test/none:v1";
  expectError(create("c1", bundle("c1", missing, {"/bin/true"})), Code::kNotFound,
              "Create: CreateContainer: tried " + missing.substr(0, missing.rfind(':')));
  expectError(state("c1"), Code::kNotFound, "container c1 not found");
  auto created = create("c1", bundle("c1", env_->image(), {"/bin/true"}));
  ASSERT_TRUE(created) << created.error().toString();
  ASSERT_TRUE(remove("c1"));
}

}  // namespace
}  // namespace cocoon::runtime::shim
