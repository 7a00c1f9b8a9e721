// SPDX-License-Identifier: Apache-2.0
// The VM backend under TCG: the guest built with this build's cocoon-agent and crun boots,
// the agent answers over virtio-serial, pulls busybox from a local docker-registry through
// a guest forward, runs `echo hello`, and stop() leaves no QEMU and no run directory.
#include <gtest/gtest.h>

#include <mutex>

#include "agent/agent_env.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "runtime/sandbox/container_run.h"
#include "runtime/sandbox/process_scan.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/tee/initdata.h"
#include "support/expect.h"

namespace cocoon::runtime::sandbox {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::processMentions;

const fs::path kSourceDir = COCOON_SOURCE_DIR;
const fs::path kGuestDir = fs::path(COCOON_BINARY_DIR) / "runtime-sandbox-guest";
// Where the guest reaches the registry (the forward's guest side).
constexpr char kGuestRegistry[] = "10.0.2.100:5000";

// Builds the agent guest once per build tree (again when the agent or the scripts change).
// nullopt: built; "SKIP: ..." when the Debian archive is unreachable; else the failure.
std::optional<std::string> buildAgentGuest() {
  const fs::path inputs[] = {kSourceDir / "guest/build-guest.sh", kSourceDir / "guest/init.sh",
                             COCOON_AGENT_BINARY};
  std::error_code ec;
  const auto built = fs::last_write_time(kGuestDir / "manifest.txt", ec);
  bool fresh = !ec;
  for (const fs::path& input : inputs) {
    fresh = fresh && fs::last_write_time(input) < built;
  }
  if (fresh) {
    return std::nullopt;
  }
  const fs::path agent_toml = fs::path(COCOON_BINARY_DIR) / "runtime-sandbox-agent.toml";
  if (auto s = writeFileAtomic(
          agent_toml,
          asBytes(fmt::format("[image]\ninsecure_registries = [\"{}\"]\n", kGuestRegistry)));
      !s) {
    return s.error().toString();
  }
  // The agent does not read init-data yet, so the guest's policy is fixed at build time:
  // permissive, so that the test can read the container's output.
  auto result = runSubprocess(
      {.argv = {(kSourceDir / "guest/build-guest.sh").string(), "--agent", COCOON_AGENT_BINARY,
                "--with-crun", "--agent-config", agent_toml.string(), "--payload-args",
                "--permissive-policy", "--out", kGuestDir.string()},
       .timeout = seconds(300)});
  if (!result) {
    return "running build-guest.sh: " + result.error().toString();
  }
  if (result->exit_code == 3) {
    return "SKIP: the Debian archive is unreachable: " + result->stderr_data;
  }
  if (result->exit_code != 0) {
    return "build-guest.sh failed (" + std::to_string(result->exit_code) +
           "): " + result->stderr_data;
  }
  return std::nullopt;
}

class VmSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto problem = buildAgentGuest()) {
      if (problem->rfind("SKIP: ", 0) == 0) {
        GTEST_SKIP() << problem->substr(6);
      }
      FAIL() << *problem;
    }
    auto dir = TempDir::create("sandbox-vm");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    config_.sandbox.backend = "vm";
    config_.hypervisor.accel = "tcg";  // this host's KVM cannot boot stock kernels
    config_.hypervisor.kernel = kGuestDir / "vmlinux";
    config_.hypervisor.initrd = kGuestDir / "initrd.img";
    config_.hypervisor.memory_mib = 1024;
    config_.tee.kind = "none";
    config_.sandbox.scratch_disk_mib = 64;
    config_.timeouts.boot = seconds(90);
  }

  SandboxSpec spec() const {
    return {.id = "vm-1",
            .run_dir = dir_->path() / "vm-1",
            .console_log = {},
            .initdata_toml = {},
            .guest_forwards = {}};
  }

  std::optional<TempDir> dir_;
  config::RuntimeConfig config_;
};

// With the vtpm TEE (swtpm started by the launcher) and init-data given by the spec, whose
// digest reaches the guest's command line for the PCR 8 extension.
TEST_F(VmSandboxTest, BootsAgentRunsEchoFromGuestPullAndStopsClean) {
  config_.tee.kind = "vtpm";
  auto env = agent::test::AgentEnv::create();
  ASSERT_TRUE(env) << env.error().toString();
  const std::string& host_image = (*env)->image();  // 127.0.0.1:PORT/test/busybox:v1
  const std::size_t slash = host_image.find('/');
  const auto host_port =
      static_cast<std::uint16_t>(std::stoul(host_image.substr(host_image.find(':') + 1, slash)));
  SandboxSpec s = spec();
  // The owner's policy reaches the guest on the init-data disk and allows what the test
  // reads (the guest image's policy would deny ReadStdout).
  s.initdata_toml =
      "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.json\" = "
      "'{\"version\": 1, \"id\": \"test-owner\", \"default\": \"allow\", \"rules\": []}'\n";
  s.guest_forwards = {{.guest_address = "10.0.2.100",
                       .guest_port = 5000,
                       .host_address = "127.0.0.1",
                       .host_port = host_port}};
  auto sandbox = startSandbox(config_, s);
  ASSERT_TRUE(sandbox) << sandbox.error().toString();
  const SandboxTimeline t = (*sandbox)->timeline();
  ASSERT_TRUE(t.vm_started && t.first_console_line && t.channel_open && t.agent_ready);
  EXPECT_LE(*t.channel_open, *t.agent_ready);
  std::printf(
      "vm sandbox (TCG): qemu %lld ms, console %lld ms, channel %lld ms, agent ready "
      "%lld ms\n",
      static_cast<long long>(t.vm_started->count()),
      static_cast<long long>(t.first_console_line->count()),
      static_cast<long long>(t.channel_open->count()),
      static_cast<long long>(t.agent_ready->count()));

  std::mutex mutex;
  std::string out;
  ContainerRun run{.image = std::string(kGuestRegistry) + host_image.substr(slash),
                   .command = {"sh", "-c", "echo hello; cat /proc/cmdline"},
                   .container_id = "echo",
                   .on_stdout = [&](std::string_view d) {
                     std::lock_guard l(mutex);
                     out += d;
                   }};
  auto result = runContainer((*sandbox)->agentAddress(), run);
  ASSERT_TRUE(result) << result.error().toString() << "\nconsole:\n" << (*sandbox)->diagnostics();
  EXPECT_EQ(result->exit_status, 0);
  // The guest's kernel command line carries the init-data digest (vtpm: for PCR 8).
  const tee::InitDataDigest digest =
      tee::initDataDigest(crypto::DigestAlgorithm::kSha256, s.initdata_toml);
  EXPECT_EQ(out.substr(0, 6), "hello\n");
  EXPECT_NE(out.find("cocoon.initdata=sha256:" + hexEncode(digest.value)), std::string::npos)
      << out;
  EXPECT_NE(out.find("tpm_tis.force=1"), std::string::npos) << out;
  std::printf("container: pull+create %lld ms, start %lld ms, exit %lld ms\n",
              static_cast<long long>(result->timeline.created.count()),
              static_cast<long long>(result->timeline.started.count()),
              static_cast<long long>(result->timeline.exited.count()));

  // DestroySandbox ends the guest, so stop() needs none of its grace period.
  ASSERT_TRUE(destroySandbox((*sandbox)->agentAddress(), seconds(10)));
  const auto stopping = std::chrono::steady_clock::now();
  ASSERT_TRUE((*sandbox)->stop(seconds(20)));
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, seconds(10));
  EXPECT_FALSE((*sandbox)->running());
  EXPECT_FALSE(fs::exists(s.run_dir));
  EXPECT_FALSE(processMentions(s.run_dir.string()));
  auto console = readTextFile(dir_->path() / "vm-1.console.log", 1 << 22);
  ASSERT_TRUE(console) << console.error().toString();
  EXPECT_NE(console->find("cocoon-agent ready"), std::string::npos) << *console;
  // The agent read the init-data disk and checked it against the command line's digest.
  EXPECT_NE(console->find("init-data sha256:" + hexEncode(digest.value) + " from /dev/vd"),
            std::string::npos)
      << *console;
  EXPECT_NE(console->find("(policy test-owner"), std::string::npos) << *console;
}

TEST_F(VmSandboxTest, MissingKernelIsNotFoundAndLeavesNothing) {
  config_.hypervisor.kernel = dir_->path() / "no-vmlinux";
  expectError(startSandbox(config_, spec()), Code::kNotFound,
              "the guest kernel " + (dir_->path() / "no-vmlinux").string() +
                  " ([hypervisor]) is not a file");
  EXPECT_FALSE(fs::exists(dir_->path() / "vm-1"));
}

TEST_F(VmSandboxTest, QemuThatCannotBootIsUnavailableAndLeavesNothing) {
  const fs::path empty = dir_->path() / "empty-vmlinux";
  ASSERT_TRUE(writeFileAtomic(empty, {}));
  config_.hypervisor.kernel = empty;
  auto sandbox = startSandbox(config_, spec());
  expectError(sandbox, Code::kUnavailable, "QEMU exited during startup");
  EXPECT_FALSE(fs::exists(dir_->path() / "vm-1"));
  EXPECT_FALSE(processMentions((dir_->path() / "vm-1").string()));
}

TEST_F(VmSandboxTest, UnavailableTeeIsFailedPreconditionWithoutFallback) {
  config_.tee.kind = "tdx";  // no TDX module on this host (and no fallback to none)
  expectError(startSandbox(config_, spec()), Code::kFailedPrecondition, "tdx");
  EXPECT_FALSE(fs::exists(dir_->path() / "vm-1"));
}

TEST_F(VmSandboxTest, RejectsBadInitData) {
  SandboxSpec s = spec();
  s.initdata_toml = "version = \"0.1.0\"\nalgorithm = \"md5\"\n";
  expectError(startSandbox(config_, s), Code::kInvalidArgument, "algorithm");
  EXPECT_FALSE(fs::exists(s.run_dir));
}

}  // namespace
}  // namespace cocoon::runtime::sandbox
