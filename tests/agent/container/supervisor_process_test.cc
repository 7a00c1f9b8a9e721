// SPDX-License-Identifier: Apache-2.0
// Supervisor with runc: stdin, terminals and resize, exec'd processes, stats, update,
// the output cap, and the sweep that reaps orphans nobody tracks.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/container/internal/reaper.h"
#include "agent/container/supervisor_fixture.h"
#include "support/expect.h"

namespace cocoon::agent::container::test {
namespace {

using cocoon::test::expectError;
using cocoon::test::expectValue;
using std::chrono::milliseconds;

TEST_F(SupervisorTest, StdinEchoesThroughCat) {
  ASSERT_TRUE(run("c1", {"cat"}));
  expectValue(sync(sup_->writeStdin("c1", "", "hello\n")), std::size_t{6});
  EXPECT_EQ(readUntil("c1", "", "hello\n"), "hello\n");
  ASSERT_TRUE(sync(sup_->closeStdin("c1", "")));
  expectValue(sync(sup_->waitProcess("c1", "")), 0);
  EXPECT_EQ(readAll("c1", ""), "");
  expectError(sync(sup_->writeStdin("c1", "", "x")), Code::kFailedPrecondition,
              "process c1 has no open stdin");
  expectError(sync(sup_->resizeTerminal("c1", "", 10, 10)), Code::kFailedPrecondition,
              "has no terminal");
}

TEST_F(SupervisorTest, TerminalProcessSeesResizes) {
  ASSERT_TRUE(sync(sup_->createContainer(
      {"t1", makeBundle("t1", {"sh", "-c", "stty size; read line; stty size"}, true)})));
  ASSERT_TRUE(sync(sup_->resizeTerminal("t1", "", 30, 100)));
  ASSERT_TRUE(sync(sup_->startContainer("t1")));
  EXPECT_THAT(readUntil("t1", "", "30 100"), ::testing::HasSubstr("30 100"));
  ASSERT_TRUE(sync(sup_->resizeTerminal("t1", "", 40, 120)));
  ASSERT_TRUE(sync(sup_->writeStdin("t1", "", "go\n")));
  EXPECT_THAT(readUntil("t1", "", "40 120"), ::testing::HasSubstr("40 120"));
  expectValue(sync(sup_->waitProcess("t1", "")), 0);
  expectError(sync(sup_->readOutput("t1", "", OutputStream::kStderr, 10)),
              Code::kFailedPrecondition, "has a terminal");
}

TEST_F(SupervisorTest, ExecInARunningContainer) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  ASSERT_TRUE(sync(sup_->execProcess(
      {"c1", "e1", processSpec({"sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"})})));
  EXPECT_EQ(readAll("c1", "e1"), "exec-out\n");
  EXPECT_EQ(readAll("c1", "e1", OutputStream::kStderr), "exec-err\n");
  expectValue(sync(sup_->waitProcess("c1", "e1")), 5);
  expectError(sync(sup_->execProcess({"c1", "e1", processSpec({"true"})})), Code::kAlreadyExists,
              "process 'e1' exists in container 'c1'");
  // A terminal exec, and one that reads stdin.
  json::Json tty = processSpec({"sh", "-c", "stty size"}, true);
  tty["consoleSize"] = {{"height", 25}, {"width", 81}};
  ASSERT_TRUE(sync(sup_->execProcess({"c1", "tty", tty})));
  EXPECT_THAT(readAll("c1", "tty"), ::testing::HasSubstr("25 81"));
  ASSERT_TRUE(sync(sup_->execProcess({"c1", "cat", processSpec({"cat"})})));
  ASSERT_TRUE(sync(sup_->writeStdin("c1", "cat", "ping")));
  EXPECT_EQ(readUntil("c1", "cat", "ping"), "ping");
  ASSERT_TRUE(sync(sup_->signalProcess("c1", "cat", SIGKILL, false)));
  expectValue(sync(sup_->waitProcess("c1", "cat")), 128 + SIGKILL);
  expectValue(sup_->status("c1"), ContainerStatus::kRunning);
}

TEST_F(SupervisorTest, ExecProcessMustBeAnObject) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  expectError(sync(sup_->execProcess({"c1", "e1", json::Json::array()})), Code::kInvalidArgument,
              "exec e1: process is not a JSON object");
}

TEST_F(SupervisorTest, StatsReportMemoryOfALiveContainer) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  auto stats = sync(sup_->stats("c1"));
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_GT(stats->memory_usage_bytes, 0u);
  ASSERT_TRUE(sync(sup_->signalProcess("c1", "", SIGKILL, false)));
  ASSERT_TRUE(sync(sup_->waitProcess("c1", "")));
  expectError(sync(sup_->stats("c1")), Code::kFailedPrecondition, "is stopped");
}

TEST_F(SupervisorTest, UpdateSetsResources) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  ASSERT_TRUE(sync(sup_->update("c1", {{"memory", {{"limit", 64 << 20}}}})));
  auto stats = sync(sup_->stats("c1"));
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->memory_limit_bytes, std::uint64_t{64} << 20);
  expectError(sync(sup_->update("c1", json::Json::array())), Code::kInvalidArgument,
              "resources is not a JSON object");
}

TEST_F(SupervisorTest, OutputBeyondTheCapWaitsInThePipe) {
  SupervisorOptions options = defaultOptions();
  options.max_buffered_output = 4096;
  restart(options);
  // 2000 lines of 50 bytes: 25 times the cap, all delivered once read.
  ASSERT_TRUE(run("c1", {"sh", "-c",
                         "i=0; while [ $i -lt 2000 ]; do "
                         "echo 0123456789012345678901234567890123456789012345678; "
                         "i=$((i+1)); done"}));
  const std::string all = readAll("c1", "");
  EXPECT_EQ(all.size(), 2000u * 50u);
  expectValue(sync(sup_->waitProcess("c1", "")), 0);
}

TEST_F(SupervisorTest, ConcurrentCallsAndRemovalEndPendingOnes) {
  ASSERT_TRUE(run("c1", {"sleep", "100"}));
  // Both stay pending (no output, no exit) while other calls run.
  auto read = boost::asio::co_spawn(io_, sup_->readOutput("c1", "", OutputStream::kStdout, 10),
                                    boost::asio::use_future);
  auto wait = boost::asio::co_spawn(io_, sup_->waitProcess("c1", ""), boost::asio::use_future);
  ASSERT_TRUE(sync(sup_->stats("c1")));
  EXPECT_EQ(read.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  ASSERT_TRUE(sync(sup_->removeContainer("c1", milliseconds(0))));
  expectValue(await(std::move(read)), std::string());
  expectValue(await(std::move(wait)), 128 + SIGKILL);
}

TEST_F(SupervisorTest, ReadOutputNeedsAtLeastOneByte) {
  ASSERT_TRUE(run("c1", {"true"}));
  expectError(sync(sup_->readOutput("c1", "", OutputStream::kStdout, 0)), Code::kInvalidArgument,
              "max_bytes must be at least 1");
}

TEST_F(SupervisorTest, SweepReapsUntrackedOrphans) {
  // A child that leaves an orphan grandchild: as subreaper we inherit it as a zombie.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::fork() == 0) {
      ::_exit(0);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!internal::listZombieChildren().empty() && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_for(milliseconds(200));
  }
  EXPECT_EQ(internal::listZombieChildren(), std::vector<pid_t>{});
}

}  // namespace
}  // namespace cocoon::agent::container::test
