// SPDX-License-Identifier: Apache-2.0
// The process backend with the real cocoon-agent: start, health, a busybox container
// pulled from a local docker-registry, and stop leaving nothing behind; start failures.
#include <signal.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <mutex>

#include "agent/agent_env.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "runtime/sandbox/container_run.h"
#include "runtime/sandbox/process_scan.h"
#include "runtime/sandbox/sandbox.h"
#include "support/expect.h"

namespace cocoon::runtime::sandbox {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::processMentions;

class ProcessSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string reason = agent::test::e2eSkipReason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    auto dir = TempDir::create("sandbox-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    config_.sandbox.backend = "process";
    config_.sandbox.agent_binary = COCOON_AGENT_BINARY;
    config_.sandbox.oci_runtime = "/usr/sbin/runc";
    config_.sandbox.permissive_policy = true;
    config_.timeouts.boot = seconds(30);
  }

  SandboxSpec spec(const std::string& id = "sb-1") const {
    return {.id = id,
            .run_dir = dir_->path() / id,
            .console_log = {},
            .initdata_toml = {},
            .guest_forwards = {}};
  }
  fs::path consoleLog(const std::string& id = "sb-1") const {
    return dir_->path() / (id + ".console.log");
  }

  std::optional<TempDir> dir_;
  config::RuntimeConfig config_;
};

TEST_F(ProcessSandboxTest, StartsAgentThatAnswersAndStopLeavesNothing) {
  auto sandbox = startSandbox(config_, spec());
  ASSERT_TRUE(sandbox) << sandbox.error().toString();
  Sandbox& s = **sandbox;
  EXPECT_EQ(s.agentAddress().toString(), "unix:" + (dir_->path() / "sb-1/agent.sock").string());
  EXPECT_TRUE(s.running());
  const SandboxTimeline timeline = s.timeline();
  ASSERT_TRUE(timeline.agent_ready);
  EXPECT_FALSE(timeline.vm_started);
  std::printf("process sandbox: agent ready in %lld ms\n",
              static_cast<long long>(timeline.agent_ready->count()));
  ASSERT_TRUE(s.stop(seconds(10)));
  EXPECT_FALSE(s.running());
  EXPECT_FALSE(fs::exists(dir_->path() / "sb-1"));
  auto log = readTextFile(consoleLog(), 1 << 20);
  ASSERT_TRUE(log) << log.error().toString();
  EXPECT_NE(log->find("cocoon-agent ready"), std::string::npos) << *log;
  EXPECT_NE(log->find("--permissive-policy"), std::string::npos) << *log;
  EXPECT_FALSE(processMentions((dir_->path() / "sb-1").string()));
  EXPECT_TRUE(s.stop(seconds(1)));  // idempotent
}

TEST_F(ProcessSandboxTest, RunsBusyboxPulledFromLocalRegistry) {
  auto env = agent::test::AgentEnv::create();
  ASSERT_TRUE(env) << env.error().toString();
  config_.sandbox.agent_config = (*env)->dir() / "agent.toml";
  auto sandbox = startSandbox(config_, spec());
  ASSERT_TRUE(sandbox) << sandbox.error().toString();
  std::mutex mutex;
  std::string out;
  std::string err;
  ContainerRun run{.image = (*env)->image(),
                   .command = {"/bin/sh", "-c", "echo hello; echo oops >&2; exit 7"},
                   .container_id = "c1",
                   .on_stdout =
                       [&](std::string_view d) {
                         std::lock_guard l(mutex);
                         out += d;
                       },
                   .on_stderr =
                       [&](std::string_view d) {
                         std::lock_guard l(mutex);
                         err += d;
                       }};
  auto result = runContainer((*sandbox)->agentAddress(), run);
  ASSERT_TRUE(result) << result.error().toString() << "\n" << (*sandbox)->diagnostics();
  EXPECT_EQ(result->exit_status, 7);
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(err, "oops\n");
  EXPECT_LE(result->timeline.created, result->timeline.started);
  EXPECT_LE(result->timeline.started, result->timeline.exited);
  ASSERT_TRUE(destroySandbox((*sandbox)->agentAddress(), seconds(10)));
  ASSERT_TRUE((*sandbox)->stop(seconds(10)));
  EXPECT_FALSE(fs::exists(dir_->path() / "sb-1"));
  EXPECT_FALSE(processMentions((dir_->path() / "sb-1").string()));
}

// `cocoon sandbox run` end to end with the process backend: output, exit status,
// timeline, and nothing left but the console log.
TEST_F(ProcessSandboxTest, CliRunRelaysOutputAndExitStatus) {
  auto env = agent::test::AgentEnv::create();
  ASSERT_TRUE(env) << env.error().toString();
  const fs::path config = dir_->path() / "config.toml";
  ASSERT_TRUE(writeFileAtomic(
      config, asBytes(fmt::format("[sandbox]\nbackend = \"process\"\noci_runtime = "
                                  "\"/usr/sbin/runc\"\nagent_binary = \"{}\"\n"
                                  "agent_config = \"{}\"\npermissive_policy = true\n",
                                  COCOON_AGENT_BINARY, ((*env)->dir() / "agent.toml").string()))));
  const fs::path runs = dir_->path() / "runs";
  auto run = runSubprocess({.argv = {COCOON_BINARY, "sandbox", "run", "--config", config.string(),
                                     "--run-dir", runs.string(), "--id", "cli", "--timeline",
                                     (*env)->image(), "--", "sh", "-c", "echo hi; exit 3"},
                            .timeout = seconds(60)});
  ASSERT_TRUE(run) << run.error().toString();
  EXPECT_EQ(run->exit_code, 3) << run->stderr_data;
  EXPECT_EQ(run->stdout_data, "hi\n");
  for (const char* step : {"timeline: agent ready", "timeline: pull+create", "timeline: exited",
                           "timeline: sandbox stopped"}) {
    EXPECT_NE(run->stderr_data.find(step), std::string::npos) << step << "\n" << run->stderr_data;
  }
  EXPECT_FALSE(fs::exists(runs / "cli"));
  EXPECT_TRUE(fs::exists(runs / "cli.console.log"));
}

TEST_F(ProcessSandboxTest, CliRunFailsWith125AndUsageWith2) {
  auto missing = runSubprocess({.argv = {COCOON_BINARY, "sandbox", "run", "--config",
                                         (dir_->path() / "none.toml").string(), "busybox"},
                                .timeout = seconds(30)});
  ASSERT_TRUE(missing) << missing.error().toString();
  EXPECT_EQ(missing->exit_code, 125);
  EXPECT_NE(missing->stderr_data.find("cocoon: NOT_FOUND"), std::string::npos)
      << missing->stderr_data;
  auto usage = runSubprocess({.argv = {COCOON_BINARY, "sandbox", "run"}, .timeout = seconds(30)});
  ASSERT_TRUE(usage) << usage.error().toString();
  EXPECT_EQ(usage->exit_code, 2);
}

TEST_F(ProcessSandboxTest, RunReportsUnknownImageWithTheCallName) {
  auto sandbox = startSandbox(config_, spec());
  ASSERT_TRUE(sandbox) << sandbox.error().toString();
  ContainerRun run{.image = "127.0.0.1:1/no/such:image", .command = {"true"}};
  run.create_timeout = seconds(20);
  auto result = runContainer((*sandbox)->agentAddress(), run);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message.rfind("CreateContainer: ", 0), 0U) << result.error().toString();
}

TEST_F(ProcessSandboxTest, RejectsBadIdAndExistingRunDir) {
  expectError(startSandbox(config_, spec("a/b")), Code::kInvalidArgument,
              "sandbox id \"a/b\": expected 1..64 characters of [A-Za-z0-9_.-]");
  expectError(startSandbox(config_, spec(std::string(65, 'x'))), Code::kInvalidArgument,
              "sandbox id");
  ASSERT_TRUE(createDirectories(dir_->path() / "sb-1"));
  expectError(startSandbox(config_, spec()), Code::kAlreadyExists, "creating run directory");
  EXPECT_TRUE(fs::exists(dir_->path() / "sb-1"));
}

TEST_F(ProcessSandboxTest, MissingAgentBinaryIsNotFoundAndLeavesNoRunDir) {
  config_.sandbox.agent_binary = dir_->path() / "no-such-agent";
  expectError(startSandbox(config_, spec()), Code::kNotFound,
              "agent binary " + (dir_->path() / "no-such-agent").string() +
                  " ([sandbox] agent_binary) is not an executable file");
  EXPECT_FALSE(fs::exists(dir_->path() / "sb-1"));
}

TEST_F(ProcessSandboxTest, AgentThatExitsIsUnavailableWithItsOutput) {
  const fs::path fake = dir_->path() / "fake-agent";
  ASSERT_TRUE(writeFileAtomic(fake, asBytes("#!/bin/sh\necho bad flags >&2\nexit 2\n"), 0755));
  config_.sandbox.agent_binary = fake;
  auto sandbox = startSandbox(config_, spec());
  expectError(sandbox, Code::kUnavailable,
              "sandbox sb-1: the agent exited before it was ready: exit status 2");
  EXPECT_NE(sandbox.error().message.find("bad flags"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_->path() / "sb-1"));
}

TEST_F(ProcessSandboxTest, AgentThatNeverAnswersExceedsBootTimeout) {
  const fs::path fake = dir_->path() / "silent-agent";
  ASSERT_TRUE(writeFileAtomic(fake, asBytes("#!/bin/sh\nexec sleep 60\n"), 0755));
  config_.sandbox.agent_binary = fake;
  config_.timeouts.boot = seconds(1);
  auto sandbox = startSandbox(config_, spec());
  expectError(sandbox, Code::kDeadlineExceeded, "did not answer SERVING in time");
  EXPECT_FALSE(fs::exists(dir_->path() / "sb-1"));
}

}  // namespace
}  // namespace cocoon::runtime::sandbox
