// SPDX-License-Identifier: Apache-2.0
// cocoon-agent end to end over a unix socket: a busybox image pulled in the "guest" from a
// real docker-registry, run by runc; stdout, exit statuses, signals, the confidential
// default policy, and hostile requests that must not stop the agent.
#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include "agent/agent_env.h"
#include "common/files.h"
#include "proto/agent/agent.pb.h"
#include "proto/agent/health.pb.h"
#include "support/expect.h"

namespace cocoon::agent::test {
namespace {

using cocoon::test::expectError;
using Empty = google::protobuf::Empty;

class AgentE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = e2eSkipReason(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    auto env = AgentEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
  }

  void TearDown() override {
    if (HasFailure() && env_) {
      std::fprintf(stderr, "--- cocoon-agent output ---\n%s\n", env_->agentOutput().c_str());
    }
  }

  grpc::CreateContainerRequest createRequest(const std::string& id, std::vector<std::string> args) {
    grpc::CreateContainerRequest req;
    req.set_container_id(id);
    req.set_exec_id(id);
    grpc::Storage* storage = req.add_storages();
    storage->set_driver("image_guest_pull");
    storage->set_source(env_->image());
    storage->set_fstype("overlay");
    storage->set_mount_point("/run/kata-containers/" + id + "/rootfs");
    storage->add_driver_options(R"(image_guest_pull={"metadata":{}})");
    for (const auto& arg : args) {
      req.mutable_oci()->mutable_process()->add_args(arg);
    }
    for (const char* type : {"mount", "ipc", "uts", "pid", "network"}) {
      req.mutable_oci()->mutable_linux()->add_namespaces()->set_type(type);
    }
    return req;
  }

  static grpc::ExecProcessRequest shellExec(const std::string& id) {
    grpc::ExecProcessRequest exec;
    exec.set_container_id(id);
    exec.set_exec_id("shell");
    exec.mutable_process()->add_args("/bin/sh");
    return exec;
  }

  void createAndStart(const std::string& id, std::vector<std::string> args) {
    auto created = env_->call<Empty>("CreateContainer", createRequest(id, std::move(args)));
    ASSERT_TRUE(created) << created.error().toString();
    grpc::StartContainerRequest start;
    start.set_container_id(id);
    auto started = env_->call<Empty>("StartContainer", start);
    ASSERT_TRUE(started) << started.error().toString();
  }

  Result<std::int32_t> wait(const std::string& id) {
    grpc::WaitProcessRequest req;
    req.set_container_id(id);
    req.set_exec_id(id);
    COCOON_ASSIGN_OR_RETURN(auto resp, env_->call<grpc::WaitProcessResponse>("WaitProcess", req));
    return resp.status();
  }

  Result<std::string> readAll(const std::string& id, const char* method) {
    grpc::ReadStreamRequest req;
    req.set_container_id(id);
    req.set_exec_id(id);
    req.set_len(4096);
    std::string out;
    for (;;) {
      COCOON_ASSIGN_OR_RETURN(auto chunk, env_->call<grpc::ReadStreamResponse>(method, req));
      if (chunk.data().empty()) {
        return out;
      }
      out += chunk.data();
    }
  }

  std::unique_ptr<AgentEnv> env_;
};

TEST_F(AgentE2e, PullsCreatesStartsAndRelaysOutputAndExitCode) {
  ASSERT_TRUE(env_->startAgent({"--permissive-policy"}));
  createAndStart("hello", {"sh", "-c", "echo hello from cocoon; echo oops >&2; exit 7"});
  cocoon::test::expectValue(readAll("hello", "ReadStdout"), std::string("hello from cocoon\n"));
  cocoon::test::expectValue(readAll("hello", "ReadStderr"), std::string("oops\n"));
  cocoon::test::expectValue(wait("hello"), 7);
  const auto bundle = env_->dir() / "state/containers/hello";
  EXPECT_TRUE(std::filesystem::exists(bundle / "config.json"));
  grpc::RemoveContainerRequest remove;
  remove.set_container_id("hello");
  auto removed = env_->call<Empty>("RemoveContainer", remove);
  ASSERT_TRUE(removed) << removed.error().toString();
  EXPECT_FALSE(std::filesystem::exists(bundle));
}

// The shared libraries mapped into process `pid` whose file name starts with `prefix`.
std::vector<std::string> mappedLibraries(pid_t pid, std::string_view prefix) {
  std::vector<std::string> found;
  auto maps = readTextFile(fmt::format("/proc/{}/maps", pid), std::size_t{16} << 20);
  EXPECT_TRUE(maps) << maps.error().toString();
  if (!maps) {
    return found;
  }
  std::istringstream lines(*maps);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t slash = line.rfind('/');
    if (slash == std::string::npos || line.compare(slash + 1, prefix.size(), prefix) != 0) {
      continue;
    }
    if (std::find(found.begin(), found.end(), line.substr(slash + 1)) == found.end()) {
      found.push_back(line.substr(slash + 1));
    }
  }
  return found;
}

// The libraries that only some requests need are loaded by those requests
// (common/shared_library.h), so the idle agent maps none of them: libcurl comes with the
// first pull, ISA-L with its first gzip layer; libcryptsetup (scratch disk) and tpm2-tss
// (vTPM quote) never here.
TEST_F(AgentE2e, MapsLibcurlAndIsalOnlyOnceItPullsAndNeverCryptsetupOrTss2WithoutTheirDevices) {
  ASSERT_TRUE(env_->startAgent({"--permissive-policy"}));
  const pid_t pid = env_->agentPid();
  ASSERT_GT(pid, 0);
  for (std::string_view lib : {"libcurl", "libisal", "libcryptsetup", "libtss2"}) {
    EXPECT_EQ(mappedLibraries(pid, lib), std::vector<std::string>{}) << lib << " when ready";
  }
  createAndStart("lazy", {"true"});
  cocoon::test::expectValue(wait("lazy"), 0);
  // The registry's busybox layer is gzip: the pull loaded ISA-L as well.
  for (std::string_view lib : {"libcurl.so.4", "libisal.so.2"}) {
    const std::vector<std::string> mapped = mappedLibraries(pid, lib);
    ASSERT_EQ(mapped.size(), 1U) << lib << " after a pull";
  }
  for (std::string_view lib : {"libcryptsetup", "libtss2"}) {
    EXPECT_EQ(mappedLibraries(pid, lib), std::vector<std::string>{}) << lib << " after a pull";
  }
}

TEST_F(AgentE2e, KilledContainerReports128PlusSignal) {
  ASSERT_TRUE(env_->startAgent({"--permissive-policy"}));
  createAndStart("sleeper", {"sleep", "60"});
  grpc::SignalProcessRequest signal;
  signal.set_container_id("sleeper");
  signal.set_exec_id("sleeper");
  signal.set_signal(9);
  auto sent = env_->call<Empty>("SignalProcess", signal);
  ASSERT_TRUE(sent) << sent.error().toString();
  cocoon::test::expectValue(wait("sleeper"), 128 + 9);
}

TEST_F(AgentE2e, ConfidentialDefaultRunsContainersButDeniesExecAndOutput) {
  ASSERT_TRUE(env_->startAgent({}));
  createAndStart("quiet", {"sleep", "60"});
  const grpc::ExecProcessRequest exec = shellExec("quiet");
  expectError(env_->call<Empty>("ExecProcess", exec), Code::kPermissionDenied,
              "ExecProcess denied");
  expectError(readAll("quiet", "ReadStdout"), Code::kPermissionDenied, "ReadStdout denied");
  EXPECT_NE(env_->agentOutput().find("ExecProcess denied"), std::string::npos);
  grpc::SignalProcessRequest signal;
  signal.set_container_id("quiet");
  signal.set_signal(9);
  ASSERT_TRUE(env_->call<Empty>("SignalProcess", signal));
  cocoon::test::expectValue(wait("quiet"), 128 + 9);
}

// The owner's init-data policy replaces the one the agent was started with (here the
// permissive one): its rule denies ExecProcess, and the denial names it.
TEST_F(AgentE2e, InitDataPolicyIsEnforced) {
  const std::string toml =
      "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.json\" = '''\n"
      R"({"version": 1, "id": "owner", "default": "allow", "rules": [)"
      R"({"id": "no-exec", "requests": ["ExecProcess"], "effect": "deny", "reason": "owner"}]})"
      "\n'''\n";
  const std::filesystem::path path = env_->dir() / "initdata.toml";
  ASSERT_TRUE(writeFileAtomic(path, asBytes(toml)));
  ASSERT_TRUE(env_->startAgent({"--permissive-policy", "--init-data", path.string()}));
  // runc names the cgroup after the container id: ids differ from the other tests', which
  // may run at the same time (ctest -j).
  createAndStart("owned", {"sleep", "60"});
  const grpc::ExecProcessRequest exec = shellExec("owned");
  expectError(env_->call<Empty>("ExecProcess", exec), Code::kPermissionDenied,
              "agent policy owner: ExecProcess denied by rule no-exec: owner");
  grpc::SignalProcessRequest signal;
  signal.set_container_id("owned");
  signal.set_signal(9);
  ASSERT_TRUE(env_->call<Empty>("SignalProcess", signal));
  cocoon::test::expectValue(wait("owned"), 128 + 9);
}

TEST_F(AgentE2e, HostileRequestsFailAndTheAgentKeepsServing) {
  ASSERT_TRUE(env_->startAgent({"--permissive-policy"}));
  expectError(env_->client().callBlocking("grpc.AgentService", "CreateContainer", "\x0a\xff"),
              Code::kInvalidArgument, "undecodable");
  expectError(env_->call<Empty>("CreateContainer", createRequest("../../etc", {"true"})),
              Code::kInvalidArgument, "CreateContainer.container_id");
  auto escape = createRequest("escape", {"true"});
  grpc::Mount* mount = escape.mutable_oci()->add_mounts();
  mount->set_destination("/host");
  mount->set_type("bind");
  mount->set_source("/");
  expectError(env_->call<Empty>("CreateContainer", escape), Code::kPermissionDenied,
              "outside the sandbox");
  auto missing = createRequest("missing", {"true"});
  missing.mutable_storages(0)->set_source(env_->image() + "-nope");
  expectError(env_->call<Empty>("CreateContainer", missing), Code::kNotFound, "");
  auto health = env_->call<grpc::HealthCheckResponse>("Check", grpc::CheckRequest{}, "grpc.Health");
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_EQ(health->status(), grpc::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace cocoon::agent::test
