// SPDX-License-Identifier: Apache-2.0
// Vm against real QEMU (TCG): one boot of the guest built by guest/build-guest.sh with a
// test init, plus startup failures and teardown that need no boot.
#include "runtime/vm/vm.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "common/files.h"
#include "common/subprocess.h"
#include "common/unique_fd.h"
#include "runtime/vm/internal/tee_helper.h"
#include "runtime/vm/internal/vhost_vsock.h"
#include "support/guest_build.h"

namespace cocoon::runtime::vm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

const fs::path kSourceDir = COCOON_SOURCE_DIR;
const fs::path kGuestDir = fs::path(COCOON_BINARY_DIR) / "runtime-vm-guest";

// Builds the test guest once per build tree (rebuilt when the scripts change); the
// package cache is the default one (~/.cache/cocoon/guest). nullopt + reason: skip.
std::optional<std::string> buildTestGuest() {
  return test::buildGuestUnlessFresh(
      kSourceDir, kGuestDir, {kSourceDir / "tests/runtime/vm/test_init.sh"},
      {"--init", (kSourceDir / "tests/runtime/vm/test_init.sh").string()});
}

class VmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("vm-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
  }

  // A TCG q35 config for the test guest, its run dir inside the test's temp dir.
  VmConfig guestConfig() const {
    VmConfig config;
    config.accel = Accel::kTcg;
    config.kernel = kGuestDir / "vmlinux";
    config.initrd = kGuestDir / "initrd.img";
    config.run_dir = dir_->path() / "run";
    config.console_log = dir_->path() / "console.log";
    return config;
  }

  std::optional<TempDir> dir_;
};

// Requires the guest, or skips/fails the calling test.
#define REQUIRE_GUEST()                       \
  do {                                        \
    if (auto problem = buildTestGuest()) {    \
      if (problem->rfind("SKIP: ", 0) == 0) { \
        GTEST_SKIP() << problem->substr(6);   \
      }                                       \
      FAIL() << *problem;                     \
    }                                         \
  } while (false)

// What runtime/tee's vtpm backend adds for a swtpm control socket.
std::vector<std::string> vtpmArguments(const fs::path& socket) {
  return {"-chardev", "socket,id=chrtpm,path=" + socket.string(),
          "-tpmdev",  "emulator,id=tpm0,chardev=chrtpm",
          "-device",  "tpm-tis,tpmdev=tpm0"};
}

bool processGone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

Result<UniqueFd> connectUnix(const fs::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return fail(Code::kUnavailable, "connect {}: {}", path.string(), std::strerror(errno));
  }
  return fd;
}

// Reads up to and including '\n', waiting at most `timeout` for each chunk.
Result<std::string> readLine(int fd, milliseconds timeout) {
  std::string line;
  while (line.empty() || line.back() != '\n') {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
      return fail(Code::kDeadlineExceeded, "no line; got '{}'", line);
    }
    char c = 0;
    if (::read(fd, &c, 1) != 1) {
      return fail(Code::kUnavailable, "EOF; got '{}'", line);
    }
    line += c;
  }
  return line;
}

TEST_F(VmTest, BootsVtpmGuestAnswersOverChannelAndShutsDownClean) {
  REQUIRE_GUEST();
  VmConfig config = guestConfig();
  config.scratch_disk_bytes = 64 << 20;
  config.user_network = true;
  config.guest_forwards = {{.guest_port = 5000, .host_port = 5000}};
  // vtpm as runtime/tee configures it: swtpm started by the launcher, tpm-tis in QEMU.
  const fs::path tpm_state = dir_->path() / "tpm";
  ASSERT_TRUE(createDirectories(tpm_state));
  config.tee.kind = tee::TeeKind::kVtpm;
  config.tee.helper_command = {"swtpm",
                               "socket",
                               "--tpm2",
                               "--tpmstate",
                               "dir=" + tpm_state.string(),
                               "--ctrl",
                               "type=unixio,path=" + (tpm_state / "swtpm.sock").string(),
                               "--terminate"};
  config.tee.arguments = vtpmArguments(tpm_state / "swtpm.sock");
  auto vm = Vm::launch(config);
  ASSERT_TRUE(vm) << vm.error().toString();
  const pid_t pid = (*vm)->qemuPid();
  EXPECT_TRUE(fs::exists(config.run_dir / "scratch.img"));
  EXPECT_EQ(fs::file_size(config.run_dir / "scratch.img"), 64U << 20);

  auto ready = (*vm)->waitChannelReady(seconds(50));
  ASSERT_TRUE(ready) << ready.error().toString() << "\nconsole:\n" << (*vm)->consoleTail();
  auto channel = connectUnix((*vm)->agentSocket());
  ASSERT_TRUE(channel) << channel.error().toString();
  const std::string ping = "ping 42\n";
  ASSERT_EQ(::write(channel->get(), ping.data(), ping.size()), static_cast<ssize_t>(ping.size()));
  auto answer = readLine(channel->get(), seconds(10));
  ASSERT_TRUE(answer) << answer.error().toString() << "\nconsole:\n" << (*vm)->consoleTail();
  EXPECT_EQ(*answer, "pong 42\n");
  const std::string tpm = "tpm\n";
  ASSERT_EQ(::write(channel->get(), tpm.data(), tpm.size()), static_cast<ssize_t>(tpm.size()));
  answer = readLine(channel->get(), seconds(10));
  ASSERT_TRUE(answer) << answer.error().toString();
  EXPECT_EQ(*answer, "tpm yes\n");

  const BootTimeline timeline = (*vm)->timeline();
  ASSERT_TRUE(timeline.qemu_ready && timeline.first_console_line && timeline.channel_ready);
  EXPECT_LE(*timeline.qemu_ready, *timeline.first_console_line);
  EXPECT_LE(*timeline.first_console_line, *timeline.channel_ready);
  std::printf(
      "boot timeline (TCG): qemu ready %lld ms, first console line %lld ms, "
      "channel ready %lld ms\n",
      static_cast<long long>(timeline.qemu_ready->count()),
      static_cast<long long>(timeline.first_console_line->count()),
      static_cast<long long>(timeline.channel_ready->count()));

  // The test init ignores ACPI power-button presses, so this exercises powerdown -> quit.
  auto down = (*vm)->shutdown(milliseconds(200));
  ASSERT_TRUE(down) << down.error().toString();
  EXPECT_EQ(down->how, ShutdownHow::kQuit);
  EXPECT_EQ(down->qemu_status, "exit status 0");
  EXPECT_TRUE(processGone(pid));
  EXPECT_FALSE(fs::exists(config.run_dir));
  EXPECT_FALSE((*vm)->running());
  auto console = readTextFile(config.console_log, 1 << 20);
  ASSERT_TRUE(console) << console.error().toString();
  EXPECT_NE(console->find("test-init: serving /dev/vport"), std::string::npos) << *console;
  auto again = (*vm)->shutdown(milliseconds(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->how, ShutdownHow::kQuit);
}

TEST_F(VmTest, DestructorKillsRunningQemuAndRemovesRunDir) {
  REQUIRE_GUEST();
  VmConfig config = guestConfig();
  pid_t pid = -1;
  {
    auto vm = Vm::launch(config);
    ASSERT_TRUE(vm) << vm.error().toString();
    pid = (*vm)->qemuPid();
    EXPECT_TRUE((*vm)->running());
    EXPECT_TRUE(fs::exists(config.run_dir / "agent.sock"));
  }
  EXPECT_TRUE(processGone(pid));
  EXPECT_FALSE(fs::exists(config.run_dir));
}

TEST_F(VmTest, LaunchReportsQemuStartupFailureWithItsStderr) {
  VmConfig config = guestConfig();
  config.kernel = dir_->path() / "no-such-vmlinux";
  config.initrd = dir_->path() / "no-such-initrd";
  auto vm = Vm::launch(config);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code, Code::kUnavailable);
  EXPECT_NE(vm.error().message.find("QEMU exited during startup (exit status 1)"),
            std::string::npos)
      << vm.error().toString();
  EXPECT_NE(vm.error().message.find("no-such-vmlinux"), std::string::npos) << vm.error().toString();
  EXPECT_FALSE(fs::exists(config.run_dir));
}

TEST_F(VmTest, LaunchRejectsExistingRunDir) {
  VmConfig config = guestConfig();
  ASSERT_TRUE(createDirectories(config.run_dir));
  auto vm = Vm::launch(config);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code, Code::kAlreadyExists);
  EXPECT_TRUE(fs::exists(config.run_dir));
}

TEST_F(VmTest, LaunchReportsMissingQemuBinary) {
  VmConfig config = guestConfig();
  config.qemu_binary = "cocoon-no-such-qemu";
  auto vm = Vm::launch(config);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code, Code::kNotFound);
  EXPECT_EQ(vm.error().message, "program 'cocoon-no-such-qemu' is not in PATH");
  EXPECT_FALSE(fs::exists(config.run_dir));
}

TEST_F(VmTest, LaunchReportsTeeHelperThatExitsBeforeItsSocket) {
  VmConfig config = guestConfig();
  config.tee.kind = tee::TeeKind::kVtpm;
  config.tee.helper_command = {"/bin/sh", "-c", "echo no tpm state; exit 3"};
  config.tee.arguments = vtpmArguments(dir_->path() / "swtpm.sock");
  auto vm = Vm::launch(config);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code, Code::kUnavailable);
  EXPECT_NE(vm.error().message.find("/bin/sh exited (exit status 3) before creating " +
                                    (dir_->path() / "swtpm.sock").string() + ": no tpm state"),
            std::string::npos)
      << vm.error().toString();
  EXPECT_FALSE(fs::exists(config.run_dir));
}

TEST(VhostVsock, ReservingACidNeedsTheDeviceAndSaysWhy) {
  auto missing = internal::reserveGuestCid("/nonexistent/vhost-vsock");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kUnavailable);
  EXPECT_NE(missing.error().message.find("the vsock agent channel needs "
                                         "/nonexistent/vhost-vsock (the host's vhost_vsock "
                                         "module): No such file or directory"),
            std::string::npos)
      << missing.error().message;
  // A device that is not vhost-vsock refuses the ioctl.
  auto wrong = internal::reserveGuestCid("/dev/null");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("on /dev/null"), std::string::npos) << wrong.error().message;
}

TEST(VmVsock, ChannelWithoutVhostVsockFailsBeforeQemuAndLeavesNothing) {
  if (vhostVsockUsable()) {
    GTEST_SKIP() << "this host has /dev/vhost-vsock";
  }
  auto dir = TempDir::create("vm-vsock");
  ASSERT_TRUE(dir);
  VmConfig config;
  config.kernel = "/nonexistent/vmlinux";
  config.initrd = "/nonexistent/initrd";
  config.run_dir = dir->path() / "run";
  config.accel = Accel::kTcg;
  config.agent_channel = AgentChannel::kVsock;
  auto vm = Vm::launch(config);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code, Code::kUnavailable);
  EXPECT_NE(vm.error().message.find("the vsock agent channel needs /dev/vhost-vsock"),
            std::string::npos)
      << vm.error().message;
  EXPECT_FALSE(std::filesystem::exists(config.run_dir));
}

TEST(ClientSocketPaths, TakesClientChardevPathsOnly) {
  const std::vector<std::string> arguments = {"-chardev", "socket,id=a,path=/r/a,,b.sock",
                                              "-chardev", "socket,id=s,path=/r/s,server=on",
                                              "-chardev", "file,id=f,path=/r/log",
                                              "-device",  "tpm-tis,tpmdev=tpm0",
                                              "-chardev", "socket,id=c,path=/r/c.sock,reconnect=1"};
  EXPECT_EQ(internal::clientSocketPaths(arguments),
            (std::vector<fs::path>{"/r/a,b.sock", "/r/c.sock"}));
}

}  // namespace
}  // namespace cocoon::runtime::vm
