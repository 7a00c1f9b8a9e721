// SPDX-License-Identifier: Apache-2.0
// The VM backend under TCG: the guest built with this build's cocoon-agent and crun boots
// with a vTPM, binds its init-data to PCR 8, attests to a real cocoon-kbs with the tpm
// verifier, pulls busybox from a local docker-registry through a guest forward, runs
// `echo hello`, and stop() leaves no QEMU and no run directory; launch failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "agent/agent_env.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "kbs/daemon.h"
#include "runtime/sandbox/container_run.h"
#include "runtime/sandbox/process_scan.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/sandbox/vm_guest.h"
#include "runtime/tee/initdata.h"
#include "support/expect.h"

namespace cocoon::runtime::sandbox {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::processMentions;

class VmSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto problem = test::buildTestGuest()) {
      if (problem->rfind("SKIP: ", 0) == 0) {
        GTEST_SKIP() << problem->substr(6);
      }
      FAIL() << *problem;
    }
    auto dir = TempDir::create("sandbox-vm");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    config_ = test::vmTestConfig();
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

// The vtpm TEE end to end, in one boot: the launcher copies a swtpm state provisioned by
// `cocoon vtpm provision` into the sandbox's swtpm, whose AK a real cocoon-kbs (in process,
// no sample TEE) trusts. The init-data (sha256) names that KBS ([kbc] tee = "tpm") and a
// signature policy only the KBS holds, and carries the owner's agent policy. The agent
// extends PCR 8 with the init-data digest before it serves; the guest pull then attests
// (the tpm verifier checks PCR 8 against the init-data sent with the evidence), gets the
// policy and pulls busybox; the container reads PCR 8 from the guest kernel.
TEST_F(VmSandboxTest, VtpmGuestBindsInitDataAttestsToKbsAndPulls) {
  auto env = agent::test::AgentEnv::create();
  ASSERT_TRUE(env) << env.error().toString();
  const test::GuestImage image = test::guestImage((*env)->image());
  const fs::path tpm_template = dir_->path() / "vtpm-template";
  auto provisioned =
      runSubprocess({.argv = {COCOON_BINARY, "vtpm", "provision", "--state", tpm_template.string(),
                              "--ak-pem", (dir_->path() / "ak.pem").string()},
                     .timeout = seconds(60)});
  ASSERT_TRUE(provisioned) << provisioned.error().toString();
  ASSERT_EQ(provisioned->exit_code, 0) << provisioned->stderr_data;

  auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pub", asBytes(admin->publicPem())));
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pem", asBytes(*admin->privatePem()), 0600));
  kbs::KbsConfig kbs_config;
  kbs_config.listen = "127.0.0.1:0";
  kbs_config.data_dir = dir_->path() / "kbs";
  kbs_config.admin_public_key = dir_->path() / "admin.pub";
  kbs_config.threads = 2;
  kbs_config.tpm.trusted_ak_keys = {dir_->path() / "ak.pem"};
  auto kbs = kbs::KbsDaemon::start(kbs_config);
  ASSERT_TRUE(kbs) << kbs.error().toString();
  const std::uint16_t kbs_port = (*kbs)->port();
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "policy.json",
                              asBytes(R"({"default": [{"type": "insecureAcceptAnything"}]})")));
  auto stored =
      runSubprocess({.argv = {COCOON_BINARY, "kbs", "set-resource", "--url",
                              fmt::format("http://127.0.0.1:{}", kbs_port), "--admin-key",
                              (dir_->path() / "admin.pem").string(), "default/security-policy/test",
                              "--file", (dir_->path() / "policy.json").string()},
                     .timeout = seconds(30)});
  ASSERT_TRUE(stored) << stored.error().toString();
  ASSERT_EQ(stored->exit_code, 0) << stored->stderr_data;

  config_.tee.kind = "vtpm";
  config_.tee.swtpm_state_template = tpm_template;
  SandboxSpec s = spec();
  // [image] replaces the baked one whole, so it names the test registry again.
  s.initdata_toml = fmt::format(
      "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.json\" = "
      "'{{\"version\": 1, \"id\": \"test-owner\", \"default\": \"allow\", \"rules\": []}}'\n"
      "\"cdh.toml\" = '''\n[kbc]\nurl = \"http://10.0.2.100:8080\"\ntee = \"tpm\"\n"
      "[image]\ninsecure_registries = [\"{}\"]\n"
      "image_security_policy_uri = \"kbs:///default/security-policy/test\"\n'''\n",
      test::kGuestRegistry);
  s.guest_forwards = {image.forward,
                      {.guest_address = "10.0.2.100",
                       .guest_port = 8080,
                       .host_address = "127.0.0.1",
                       .host_port = kbs_port}};
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
  ContainerRun run{.image = image.image,
                   .command = {"sh", "-c",
                               "echo hello; cat /proc/cmdline; "
                               "cat /sys/class/tpm/tpm0/pcr-sha256/8; "
                               "echo tpm device: $(readlink /sys/class/tpm/tpm0/device)"},
                   .container_id = "echo",
                   .on_stdout = [&](std::string_view d) {
                     std::lock_guard l(mutex);
                     out += d;
                   }};
  auto result = runContainer((*sandbox)->agentAddress(), run);
  ASSERT_TRUE(result) << result.error().toString() << "\nconsole:\n" << (*sandbox)->diagnostics();
  EXPECT_EQ(result->exit_status, 0);
  const tee::InitDataDigest digest =
      tee::initDataDigest(crypto::DigestAlgorithm::kSha256, s.initdata_toml);
  Bytes pcr8_input(32, 0);
  pcr8_input.insert(pcr8_input.end(), digest.value.begin(), digest.value.end());
  std::string pcr8 = hexEncode(crypto::sha256(pcr8_input));
  std::transform(pcr8.begin(), pcr8.end(), pcr8.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  EXPECT_EQ(out.substr(0, 6), "hello\n");
  EXPECT_NE(out.find("cocoon.initdata=sha256:" + hexEncode(digest.value)), std::string::npos)
      << out;
  // qboot leaves the ACPI tables intact (vm_config.h, kDefaultQ35Firmware): the kernel finds
  // the TPM as the ACPI device MSFT0101, with no forced probe of its address.
  EXPECT_EQ(out.find("tpm_tis.force"), std::string::npos) << out;
  EXPECT_NE(out.find("tpm device: ../../../MSFT0101:00"), std::string::npos) << out;
  // The guest kernel's view of the vTPM: PCR 8 = SHA-256(zeros || init-data digest).
  EXPECT_NE(out.find(pcr8 + "\n"), std::string::npos) << out;
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
  // The agent read the init-data disk, checked it against the command line's digest and
  // bound it to PCR 8 before serving.
  const std::string text = "init-data sha256:" + hexEncode(digest.value);
  const std::size_t bound = console->find(text + " bound to TPM PCR 8");
  EXPECT_NE(bound, std::string::npos) << *console;
  EXPECT_LT(bound, console->find("cocoon-agent ready")) << *console;
  EXPECT_NE(console->find(text + " from /dev/vd"), std::string::npos) << *console;
  EXPECT_NE(console->find("(policy test-owner"), std::string::npos) << *console;
  // The template is a template: the sandbox's copy, not it, was used and changed.
  EXPECT_TRUE(fs::exists(tpm_template / "tpm2-00.permall"));
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

TEST_F(VmSandboxTest, VtpmTemplateWithoutStateIsFailedPreconditionAndLeavesNothing) {
  config_.tee.kind = "vtpm";
  config_.tee.swtpm_state_template = dir_->path() / "empty-template";
  ASSERT_TRUE(createDirectories(config_.tee.swtpm_state_template));
  expectError(startSandbox(config_, spec()), Code::kFailedPrecondition,
              "the helper state template " + config_.tee.swtpm_state_template.string() +
                  " holds no state file");
  EXPECT_FALSE(fs::exists(dir_->path() / "vm-1"));
  EXPECT_FALSE(processMentions((dir_->path() / "vm-1").string()));
}

TEST_F(VmSandboxTest, RejectsBadInitData) {
  SandboxSpec s = spec();
  s.initdata_toml = "version = \"0.1.0\"\nalgorithm = \"md5\"\n";
  expectError(startSandbox(config_, s), Code::kInvalidArgument, "algorithm");
  EXPECT_FALSE(fs::exists(s.run_dir));
}

}  // namespace
}  // namespace cocoon::runtime::sandbox
