// SPDX-License-Identifier: Apache-2.0
// Supervisor with runc: lifecycle, exit statuses, signals, pause/resume, removal, and
// the exact errors for bad ids, unknown ids, wrong states and runtime failures.
#include <signal.h>

#include <fstream>

#include "agent/container/internal/reaper.h"
#include "agent/container/supervisor_fixture.h"
#include "support/expect.h"

namespace cocoon::agent::container::test {
namespace {

using cocoon::test::expectError;
using std::chrono::milliseconds;

TEST_F(SupervisorTest, CapturesStdoutStderrAndExitCode) {
  ASSERT_TRUE(run("c1", {"sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(readAll("c1", ""), "out\n");
  EXPECT_EQ(readAll("c1", "", OutputStream::kStderr), "err\n");
  cocoon::test::expectValue(sync(sup_->waitProcess("c1", "")), 3);
  cocoon::test::expectValue(sup_->status("c1"), ContainerStatus::kStopped);
}

TEST_F(SupervisorTest, CreatedContainerWaitsForStart) {
  ASSERT_TRUE(sync(sup_->createContainer({"c1", makeBundle("c1", {"echo", "hi"})})));
  cocoon::test::expectValue(sup_->status("c1"), ContainerStatus::kCreated);
  expectError(sync(sup_->createContainer({"c1", makeBundle("c1", {"true"})})), Code::kAlreadyExists,
              "container 'c1' exists");
  ASSERT_TRUE(sync(sup_->startContainer("c1")));
  EXPECT_EQ(readAll("c1", ""), "hi\n");
  cocoon::test::expectValue(sync(sup_->waitProcess("c1", "")), 0);
  expectError(sync(sup_->startContainer("c1")), Code::kFailedPrecondition,
              "container 'c1' is stopped, not created");
}

TEST_F(SupervisorTest, SigkillGives137) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  ASSERT_TRUE(sync(sup_->signalProcess("c1", "", SIGKILL, false)));
  cocoon::test::expectValue(sync(sup_->waitProcess("c1", "")), 128 + SIGKILL);
  // Signalling an exited process is not an error (the caller cannot avoid the race).
  EXPECT_TRUE(sync(sup_->signalProcess("c1", "", SIGTERM, false)));
  expectError(sync(sup_->signalProcess("c1", "", 65, false)), Code::kInvalidArgument,
              "signal 65 is not in 1..64");
}

TEST_F(SupervisorTest, SignalAllThroughTheRuntime) {
  ASSERT_TRUE(run("c1", {"sh", "-c", "sleep 100 & wait"}));
  ASSERT_TRUE(sync(sup_->signalProcess("c1", "", SIGKILL, true)));
  cocoon::test::expectValue(sync(sup_->waitProcess("c1", "")), 128 + SIGKILL);
}

TEST_F(SupervisorTest, PauseAndResume) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  ASSERT_TRUE(sync(sup_->pause("c1")));
  cocoon::test::expectValue(sup_->status("c1"), ContainerStatus::kPaused);
  expectError(sync(sup_->pause("c1")), Code::kFailedPrecondition,
              "cannot pause container 'c1': it is paused");
  expectError(sync(sup_->execProcess({"c1", "e1", processSpec({"true"})})),
              Code::kFailedPrecondition, "container 'c1' is paused, not running");
  ASSERT_TRUE(sync(sup_->resume("c1")));
  cocoon::test::expectValue(sup_->status("c1"), ContainerStatus::kRunning);
  expectError(sync(sup_->resume("c1")), Code::kFailedPrecondition,
              "cannot resume container 'c1': it is running");
}

TEST_F(SupervisorTest, RemovesARunningContainerAndItsState) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  // sleep as PID 1 of its namespace ignores SIGTERM: removal falls back to the kill.
  ASSERT_TRUE(sync(sup_->removeContainer("c1", milliseconds(100))));
  expectError(sup_->status("c1"), Code::kNotFound, "no container 'c1'");
  EXPECT_TRUE(sup_->containerIds().empty());
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "state/runtime/c1"));
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "state/containers/c1"));
}

TEST_F(SupervisorTest, RemovesAPausedAndACreatedContainer) {
  ASSERT_TRUE(run("p", {"sleep", "100"}));
  ASSERT_TRUE(sync(sup_->pause("p")));
  ASSERT_TRUE(sync(sup_->createContainer({"c", makeBundle("c", {"sleep", "100"})})));
  ASSERT_TRUE(sync(sup_->removeContainer("p", milliseconds(100))));
  ASSERT_TRUE(sync(sup_->removeContainer("c", milliseconds(100))));
  EXPECT_TRUE(sup_->containerIds().empty());
}

TEST_F(SupervisorTest, TwoContainersAtOnce) {
  ASSERT_TRUE(run("a", {"sh", "-c", "echo from-a; read x"}));
  ASSERT_TRUE(run("b", {"sh", "-c", "echo from-b; read x"}));
  auto ids = sup_->containerIds();
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(readUntil("b", "", "\n"), "from-b\n");
  EXPECT_EQ(readUntil("a", "", "\n"), "from-a\n");
  ASSERT_TRUE(sync(sup_->closeStdin("a", "")));
  cocoon::test::expectValue(sync(sup_->waitProcess("a", "")), 1);  // read hit EOF
  cocoon::test::expectValue(sup_->status("b"), ContainerStatus::kRunning);
}

TEST_F(SupervisorTest, UnknownIdsAreNotFound) {
  expectError(sync(sup_->startContainer("nope")), Code::kNotFound, "no container 'nope'");
  expectError(sync(sup_->signalProcess("nope", "", SIGKILL, false)), Code::kNotFound);
  expectError(sync(sup_->waitProcess("nope", "")), Code::kNotFound);
  expectError(sync(sup_->readOutput("nope", "", OutputStream::kStdout, 10)), Code::kNotFound);
  expectError(sync(sup_->writeStdin("nope", "", "x")), Code::kNotFound);
  expectError(sync(sup_->stats("nope")), Code::kNotFound);
  expectError(sync(sup_->pause("nope")), Code::kNotFound);
  expectError(sync(sup_->update("nope", json::Json::object())), Code::kNotFound);
  expectError(sync(sup_->removeContainer("nope", milliseconds(0))), Code::kNotFound);
  expectError(sup_->status("nope"), Code::kNotFound);
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  expectError(sync(sup_->waitProcess("c1", "e9")), Code::kNotFound,
              "no process 'e9' in container 'c1'");
  expectError(sync(sup_->resizeTerminal("c1", "e9", 1, 1)), Code::kNotFound);
}

TEST_F(SupervisorTest, MalformedIdsAreInvalidArgument) {
  for (const std::string& id : {std::string(), std::string("../x"), std::string("-a"),
                                std::string("a/b"), std::string("a b"), std::string(129, 'a')}) {
    expectError(sync(sup_->createContainer({id, makeBundle("ok", {"true"})})),
                Code::kInvalidArgument, "is not [A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    expectError(sup_->status(id), Code::kInvalidArgument);
    expectError(sync(sup_->removeContainer(id, milliseconds(0))), Code::kInvalidArgument);
  }
  EXPECT_TRUE(sync(sup_->createContainer({std::string(128, 'a'), makeBundle("ok", {"true"})})));
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  expectError(sync(sup_->execProcess({"c1", "../e", processSpec({"true"})})),
              Code::kInvalidArgument, "exec id '../e'");
}

TEST_F(SupervisorTest, RuntimeFailureNamesTheCommandAndItsStderr) {
  auto created = sync(sup_->createContainer({"bad", makeBundle("bad", {"/no/such/program"})}));
  expectError(created, Code::kInternal, "`runc create --bundle");
  EXPECT_THAT(created.error().message, ::testing::HasSubstr("/no/such/program"));
  EXPECT_THAT(created.error().message, ::testing::HasSubstr("failed (exit status 1)"));
  expectError(sup_->status("bad"), Code::kNotFound);
  // The id is free again.
  EXPECT_TRUE(run("bad", {"true"}));
}

TEST_F(SupervisorTest, BundleWithoutConfigIsInvalidArgument) {
  expectError(sync(sup_->createContainer({"c1", dir_->path()})), Code::kInvalidArgument,
              "cannot read config.json");
}

TEST_F(SupervisorTest, HungRuntimeIsDeadlineExceeded) {
  // A wrapper that hangs in `start` and is plain runc otherwise.
  const auto wrapper = dir_->path() / "slow-runc";
  std::ofstream(wrapper) << "#!/bin/sh\ncase \"$3\" in start) exec sleep 30;; esac\nexec " << kRunc
                         << " \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  SupervisorOptions options = defaultOptions();
  options.runtime_binary = wrapper;
  options.runtime_timeout = milliseconds(500);
  restart(options);
  ASSERT_TRUE(sync(sup_->createContainer({"c1", makeBundle("c1", {"true"})})));
  expectError(sync(sup_->startContainer("c1")), Code::kDeadlineExceeded,
              "`slow-runc start c1` did not finish within 500 ms");
}

TEST_F(SupervisorTest, CreateChecksTheRuntimeBinary) {
  SupervisorOptions options = defaultOptions();
  options.runtime_binary = dir_->path() / "no-runtime";
  expectError(Supervisor::create(io_.get_executor(), options), Code::kNotFound,
              "OCI runtime binary");
  options.runtime_binary = "/bin/false";
  expectError(Supervisor::create(io_.get_executor(), options), Code::kUnavailable, "does not run");
  // The guest's PID 1 leaves the probe to later (probeRuntime on its store thread).
  options.probe_runtime = false;
  EXPECT_TRUE(Supervisor::create(io_.get_executor(), options));
}

TEST(ProbeRuntime, GivesTheFirstLineOfVersionOrWhyItDoesNotRun) {
  auto version = probeRuntime("/usr/sbin/runc", std::chrono::seconds(10));
  ASSERT_TRUE(version) << version.error().toString();
  EXPECT_EQ(version->rfind("runc version ", 0), 0U) << *version;
  EXPECT_EQ(version->find('\n'), std::string::npos);
  expectError(probeRuntime("/bin/false", std::chrono::seconds(10)), Code::kUnavailable,
              "OCI runtime /bin/false does not run: `--version` exited with 1");
  expectError(probeRuntime("/no/such/runtime", std::chrono::seconds(10)), Code::kNotFound,
              "OCI runtime binary /no/such/runtime does not exist");
}

TEST_F(SupervisorTest, TwentyContainersLeaveNoZombieAndNoState) {
  for (int i = 0; i < 20; ++i) {
    const std::string id = "loop" + std::to_string(i);
    ASSERT_TRUE(run(id, {"sh", "-c", "echo x; sleep 0 & exec true"}));
    if (i % 2 == 0) {
      cocoon::test::expectValue(sync(sup_->waitProcess(id, "")), 0);
    }
    ASSERT_TRUE(sync(sup_->removeContainer(id, milliseconds(0))));
  }
  EXPECT_TRUE(sup_->containerIds().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_->path() / "state/runtime"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_->path() / "state/containers"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_->path() / "state/console"));
  EXPECT_EQ(internal::listZombieChildren(), std::vector<pid_t>{});
}

}  // namespace
}  // namespace cocoon::agent::container::test
