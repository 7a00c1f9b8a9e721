// SPDX-License-Identifier: Apache-2.0
#include "common/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "common/files.h"

namespace cocoon {
namespace {

using std::chrono::milliseconds;

SubprocessResult run(SubprocessOptions options) {
  auto result = runSubprocess(options);
  EXPECT_TRUE(result) << result.error().toString();
  return result ? std::move(*result) : SubprocessResult{};
}

SubprocessResult sh(const std::string& script) {
  return run({.argv = {"/bin/sh", "-c", script}});
}

// Every child this process started has been reaped.
void expectNoChildren() {
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Subprocess, ReportsExitCodeAndSeparateStreams) {
  const auto r = sh("echo out; echo err >&2; exit 3");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.stdout_data, "out\n");
  EXPECT_EQ(r.stderr_data, "err\n");
  expectNoChildren();
}

TEST(Subprocess, ReportsTerminatingSignal) {
  const auto r = sh("kill -TERM $$");
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.term_signal, SIGTERM);
}

TEST(Subprocess, ChildGetsDefaultSignalHandlingEvenIfWeIgnoreIt) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &old), 0);
  const auto r = sh("kill -INT $$; exit 0");
  ::sigaction(SIGINT, &old, nullptr);
  EXPECT_EQ(r.term_signal, SIGINT);
}

TEST(Subprocess, ReplacesEnvironment) {
  const auto r = run({.argv = {"env"}, .env = std::vector<std::string>{"FOO=bar", "EMPTY="}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "FOO=bar\nEMPTY=\n");
}

TEST(Subprocess, InheritsEnvironmentByDefault) {
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(sh("printf %s \"$PATH\"").stdout_data, path);
}

TEST(Subprocess, RoundTripsSeveralMiBThroughCat) {
  // Larger than any pipe buffer in both directions: a loop that wrote all of stdin before
  // reading stdout would deadlock here.
  std::string data(6 * 1024 * 1024 + 123, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>((i * 7919) >> 5);
  }
  const auto r = run({.argv = {"cat"}, .stdin_data = data});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data.size(), data.size());
  EXPECT_TRUE(r.stdout_data == data);
}

TEST(Subprocess, ChildThatStopsReadingStdinIsNotAnError) {
  const auto r = run({.argv = {"head", "-c", "10"}, .stdin_data = std::string(4 << 20, 'x')});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "xxxxxxxxxx");
  // The SIGPIPE our write raised was consumed, not left pending for someone else.
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(::sigismember(&pending, SIGPIPE), 0);
}

TEST(Subprocess, RunsConcurrentlyFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(4);
  for (std::size_t t = 0; t < outputs.size(); ++t) {
    threads.emplace_back([t, &outputs] {
      auto r = runSubprocess(
          {.argv = {"cat"}, .stdin_data = std::string(300000, static_cast<char>('a' + t))});
      outputs[t] = r ? r->stdout_data : r.error().toString();
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (std::size_t t = 0; t < outputs.size(); ++t) {
    EXPECT_EQ(outputs[t], std::string(300000, static_cast<char>('a' + t)));
  }
  expectNoChildren();
}

TEST(Subprocess, StdinIsDevNullWhenNoDataGiven) {
  const auto r = run({.argv = {"cat"}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "");
}

TEST(Subprocess, UncapturedStreamsAreDiscarded) {
  const auto r = run({.argv = {"/bin/sh", "-c", "echo out; echo err >&2"},
                      .capture_stdout = false,
                      .capture_stderr = false});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "");
  EXPECT_EQ(r.stderr_data, "");
}

TEST(Subprocess, ChildInheritsNoOtherFileDescriptors) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 0);
  const auto r = sh("ls /proc/$$/fd");
  ::close(leaked);
  EXPECT_EQ(r.stdout_data, "0\n1\n2\n");
}

TEST(Subprocess, RunsInGivenWorkingDirectory) {
  auto dir = TempDir::create("subprocess-cwd");
  ASSERT_TRUE(dir);
  const auto r = run({.argv = {"pwd", "-P"}, .cwd = dir->path()});
  EXPECT_EQ(r.stdout_data, std::filesystem::canonical(dir->path()).string() + "\n");
}

TEST(Subprocess, MissingWorkingDirectoryIsNotFound) {
  auto r = runSubprocess({.argv = {"true"}, .cwd = "/nonexistent/cocoon-cwd"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
  EXPECT_EQ(r.error().message,
            "subprocess true: working directory /nonexistent/cocoon-cwd: No such file or "
            "directory");
}

TEST(Subprocess, MissingProgramIsNotFoundNamingIt) {
  auto by_path = runSubprocess({.argv = {"/nonexistent/cocoon-no-such-program"}});
  ASSERT_FALSE(by_path);
  EXPECT_EQ(by_path.error().code, Code::kNotFound);
  EXPECT_EQ(by_path.error().message,
            "executing \"/nonexistent/cocoon-no-such-program\": No such file or directory");
  auto by_name = runSubprocess({.argv = {"cocoon-no-such-program"}});
  ASSERT_FALSE(by_name);
  EXPECT_EQ(by_name.error().code, Code::kNotFound);
  expectNoChildren();
}

TEST(Subprocess, NonExecutableFileIsPermissionDenied) {
  auto dir = TempDir::create("subprocess-noexec");
  ASSERT_TRUE(dir);
  const auto script = dir->path() / "script";
  ASSERT_TRUE(writeFileAtomic(script, asBytes("#!/bin/sh\nexit 0\n"), 0644));
  auto r = runSubprocess({.argv = {script.string()}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kPermissionDenied);
}

TEST(Subprocess, RejectsEmptyArgvAndMalformedEnv) {
  EXPECT_EQ(runSubprocess({}).error().code, Code::kInvalidArgument);
  auto r = runSubprocess({.argv = {"true"}, .env = std::vector<std::string>{"NOEQUALS"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "subprocess true: env[0] is not KEY=VALUE");
}

TEST(Subprocess, OutputOverCapIsResourceExhaustedAndKillsTheProgram) {
  // `yes` never stops on its own: only the kill on overflow ends this call.
  auto r = runSubprocess({.argv = {"yes"}, .max_output_bytes = 100000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kResourceExhausted);
  EXPECT_EQ(r.error().message,
            "subprocess yes: output exceeds the limit of 100000 bytes; process group killed");
  expectNoChildren();
}

TEST(Subprocess, TimeoutKillsTheWholeProcessGroup) {
  // Become the reaper of orphans, so the grandchildren come back to us when sh dies and
  // can be waited for instead of polled.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const auto r = run({.argv = {"/bin/sh", "-c", "sleep 100 & echo $$ $!; sleep 100; echo done"},
                      .timeout = milliseconds(1000)});
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  ASSERT_FALSE(r.stdout_data.empty()) << "sh did not start within the timeout";
  std::istringstream ids(r.stdout_data);
  pid_t pgid = 0;
  pid_t background = 0;
  ids >> pgid >> background;
  ASSERT_GT(pgid, 0);
  ASSERT_GT(background, 0);
  // Reap whichever sleeps sh did not reap itself before it died.
  int status = 0;
  while (::waitpid(-pgid, &status, 0) > 0) {
    EXPECT_TRUE(WIFSIGNALED(status));
  }
  errno = 0;
  EXPECT_EQ(::kill(background, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  errno = 0;
  EXPECT_EQ(::kill(-pgid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST(Subprocess, TimeoutEscalatesToSigkillWhenTermIsIgnored) {
  const auto r = run({.argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 100; echo late"},
                      .timeout = milliseconds(500),
                      .kill_grace = milliseconds(100)});
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.stdout_data, "ready\n");
  expectNoChildren();
}

TEST(Subprocess, FastProgramFinishesBeforeTimeout) {
  const auto r = run({.argv = {"/bin/sh", "-c", "echo hi"}, .timeout = milliseconds(60000)});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "hi\n");
}

}  // namespace
}  // namespace cocoon
