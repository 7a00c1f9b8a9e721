// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/config.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::runtime::config {
namespace {

using cocoon::test::expectError;

constexpr std::string_view kFull = R"(# every key
[hypervisor]
path = "/opt/qemu/bin/qemu-system-x86_64"
machine = "microvm"
accel = "tcg"
agent_channel = "vsock"
kernel = "guest/vmlinux"
initrd = "/boot/initrd.img"
kernel_params = "loglevel=7"
firmware = "fw/qboot.rom"
memory_mib = 4096
vcpus = 4
vcpu_type = "EPYC-Genoa"

[tee]
kind = "snp"
ovmf_amdsev = "fw/OVMF.amdsev.fd"
tdvf = "/fw/tdvf.fd"
ovmf = "/fw/ovmf.fd"
swtpm = "/opt/swtpm"
swtpm_state_template = "vtpm-template"
cbitpos = 47
reduced_phys_bits = 5
snp_policy = 0x30000
qgs_port = 4051

[kbs]
url = "https://kbs.example:8080"
cert = "kbs.pem"

[policy]
agent = "agent-policy.rego"
image = "/etc/containers/policy.json"

[sandbox]
backend = "process"
scratch_disk_mib = 2048
oci_runtime = "/usr/sbin/runc"
agent_binary = "bin/cocoon-agent"
agent_config = "/etc/cocoon/agent.toml"
permissive_policy = true
guest_forwards = ["10.0.2.100:5000=127.0.0.1:41234"]

[timeouts]
boot = 30
create_container = 90
image_pull = 600
shutdown = 5
)";

Result<RuntimeConfig> parse(std::string_view text, const std::filesystem::path& base = "/etc/c") {
  COCOON_ASSIGN_OR_RETURN(toml::table table, parseToml(text, "config.toml"));
  return parseRuntimeConfig(table, base);
}

TEST(RuntimeConfig, DefaultsPointAtTheInstallPrefix) {
  auto c = parse("");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->hypervisor.path, "qemu-system-x86_64");
  EXPECT_EQ(c->hypervisor.machine, "q35");
  EXPECT_EQ(c->hypervisor.accel, "auto");
  EXPECT_EQ(c->hypervisor.agent_channel, "auto");
  EXPECT_EQ(c->hypervisor.kernel, "/share/cocoon/vmlinux");
  EXPECT_EQ(c->hypervisor.initrd, "/share/cocoon/initrd.img");
  EXPECT_EQ(c->hypervisor.memory_mib, 2048U);
  EXPECT_EQ(c->hypervisor.vcpus, 1U);
  EXPECT_EQ(c->tee.kind, "auto");
  EXPECT_EQ(c->tee.firmware.ovmf_amdsev, "/usr/share/ovmf/OVMF.amdsev.fd");
  EXPECT_FALSE(c->tee.cbitpos);
  EXPECT_EQ(c->kbs.url, "");
  EXPECT_EQ(c->sandbox.scratch_disk_mib, 10240U);
  EXPECT_EQ(c->sandbox.backend, "vm");
  EXPECT_EQ(c->sandbox.oci_runtime, "/usr/bin/crun");
  EXPECT_EQ(c->sandbox.agent_binary, "");
  EXPECT_FALSE(c->sandbox.permissive_policy);
  EXPECT_TRUE(c->sandbox.guest_forwards.empty());
  EXPECT_EQ(c->timeouts.create_container, std::chrono::seconds(60));
  EXPECT_EQ(c->timeouts.image_pull, std::chrono::seconds(1200));
}

TEST(RuntimeConfig, ReadsEveryKeyAndResolvesRelativePaths) {
  auto c = parse(kFull, "/etc/cocoon");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->hypervisor.path, "/opt/qemu/bin/qemu-system-x86_64");
  EXPECT_EQ(c->hypervisor.machine, "microvm");
  EXPECT_EQ(c->hypervisor.accel, "tcg");
  EXPECT_EQ(c->hypervisor.agent_channel, "vsock");
  EXPECT_EQ(c->hypervisor.kernel, "/etc/cocoon/guest/vmlinux");
  EXPECT_EQ(c->hypervisor.initrd, "/boot/initrd.img");
  EXPECT_EQ(c->hypervisor.kernel_params, "loglevel=7");
  EXPECT_EQ(c->hypervisor.firmware, "/etc/cocoon/fw/qboot.rom");
  EXPECT_EQ(c->hypervisor.memory_mib, 4096U);
  EXPECT_EQ(c->hypervisor.vcpus, 4U);
  EXPECT_EQ(c->hypervisor.vcpu_type, "EPYC-Genoa");
  EXPECT_EQ(c->tee.kind, "snp");
  EXPECT_EQ(c->tee.firmware.ovmf_amdsev, "/etc/cocoon/fw/OVMF.amdsev.fd");
  EXPECT_EQ(c->tee.firmware.tdvf, "/fw/tdvf.fd");
  EXPECT_EQ(c->tee.swtpm, "/opt/swtpm");
  EXPECT_EQ(c->tee.swtpm_state_template, "/etc/cocoon/vtpm-template");
  EXPECT_EQ(c->tee.cbitpos, 47U);
  EXPECT_EQ(c->tee.reduced_phys_bits, 5U);
  EXPECT_EQ(c->tee.qgs_port, 4051U);
  EXPECT_EQ(c->kbs.url, "https://kbs.example:8080");
  EXPECT_EQ(c->kbs.cert, "/etc/cocoon/kbs.pem");
  EXPECT_EQ(c->policy.agent, "/etc/cocoon/agent-policy.rego");
  EXPECT_EQ(c->policy.image, "/etc/containers/policy.json");
  EXPECT_EQ(c->sandbox.scratch_disk_mib, 2048U);
  EXPECT_EQ(c->sandbox.backend, "process");
  EXPECT_EQ(c->sandbox.oci_runtime, "/usr/sbin/runc");
  EXPECT_EQ(c->sandbox.agent_binary, "/etc/cocoon/bin/cocoon-agent");
  EXPECT_EQ(c->sandbox.agent_config, "/etc/cocoon/agent.toml");
  EXPECT_TRUE(c->sandbox.permissive_policy);
  ASSERT_EQ(c->sandbox.guest_forwards.size(), 1U);
  EXPECT_EQ(c->sandbox.guest_forwards[0].guest_address, "10.0.2.100");
  EXPECT_EQ(c->sandbox.guest_forwards[0].guest_port, 5000U);
  EXPECT_EQ(c->sandbox.guest_forwards[0].host_address, "127.0.0.1");
  EXPECT_EQ(c->sandbox.guest_forwards[0].host_port, 41234U);
  EXPECT_EQ(c->timeouts.boot, std::chrono::seconds(30));
  EXPECT_EQ(c->timeouts.shutdown, std::chrono::seconds(5));
}

TEST(RuntimeConfig, UnknownKeysNameKeyAndLine) {
  expectError(parse("[hypervisor]\nmachine = \"q35\"\nmemroy_mib = 1\n"), Code::kInvalidArgument,
              "config.toml:3:1: unknown key \"memroy_mib\" in [hypervisor]");
  expectError(parse("[hypervsior]\n"), Code::kInvalidArgument, "\"hypervsior\"");
}

TEST(RuntimeConfig, RejectsBadValuesWithTheirLine) {
  expectError(parse("[hypervisor]\nmachine = \"pc\"\n"), Code::kInvalidArgument,
              "config.toml:2: key \"machine\": \"pc\" is not one of q35, microvm");
  expectError(parse("[hypervisor]\naccel = \"hvf\"\n"), Code::kInvalidArgument,
              "config.toml:2: key \"accel\": \"hvf\" is not one of auto, kvm, tcg");
  expectError(parse("\n[tee]\nkind = \"sgx\"\n"), Code::kInvalidArgument,
              "config.toml:3: key \"kind\": \"sgx\" is not one of auto, snp, tdx, sev-es, sev, "
              "vtpm, none");
  expectError(parse("[hypervisor]\nvcpus = 0\n"), Code::kInvalidArgument, "vcpus");
  expectError(parse("[hypervisor]\nmemory_mib = \"2G\"\n"), Code::kInvalidArgument,
              "expected integer, found string");
  expectError(parse("[timeouts]\nboot = 0\n"), Code::kInvalidArgument, "boot");
  expectError(parse("[tee]\ncbitpos = 64\n"), Code::kInvalidArgument, "cbitpos");
  expectError(parse("[kbs]\nurl = \"kbs.example\"\n"), Code::kInvalidArgument,
              "config.toml:2: key \"url\": \"kbs.example\" is not an http:// or https:// URL");
  expectError(parse("[kbs]\ncert = \"ca.pem\"\n"), Code::kInvalidArgument,
              "config.toml:2: key \"cert\": [kbs] has a cert but no url");
}

TEST(RuntimeConfig, RejectsBadSandboxValues) {
  expectError(parse("[sandbox]\nbackend = \"docker\"\n"), Code::kInvalidArgument,
              "config.toml:2: key \"backend\": \"docker\" is not one of vm, process");
  expectError(parse("[sandbox]\npermissive_policy = \"yes\"\n"), Code::kInvalidArgument,
              "permissive_policy");
  expectError(parse("[sandbox]\nguest_forwards = [\"10.0.2.100:5000\"]\n"), Code::kInvalidArgument,
              "config.toml:2: key \"guest_forwards\": forward \"10.0.2.100:5000\" is not "
              "GUEST_ADDRESS:PORT=HOST_ADDRESS:PORT (no '=')");
}

TEST(ParseForward, NamesTheWrongSide) {
  auto ok = parseForward("10.0.2.100:80=127.0.0.1:65535");
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_EQ(ok->host_port, 65535U);
  expectError(parseForward("registry:80=127.0.0.1:5000"), Code::kInvalidArgument,
              "forward \"registry:80=127.0.0.1:5000\": the guest side \"registry:80\" is not "
              "IPV4_ADDRESS:PORT");
  expectError(parseForward("10.0.2.100:80=127.0.0.1:0"), Code::kInvalidArgument,
              "the host port \"0\" is not 1..65535");
  expectError(parseForward("10.0.2.100:80=127.0.0.1:65536"), Code::kInvalidArgument,
              "the host port \"65536\" is not 1..65535");
  expectError(parseForward("10.0.2.100:8x=127.0.0.1:1"), Code::kInvalidArgument,
              "the guest port \"8x\" is not 1..65535");
}

TEST(RuntimeConfig, LookupPrefersTheEnvironmentThenTheBinaryDirectory) {
  EXPECT_EQ(configPath("/x/c.toml", "/opt/cocoon/bin"), "/x/c.toml");
  EXPECT_EQ(configPath("", "/opt/cocoon/bin"), "/opt/cocoon/etc/cocoon/config.toml");
  EXPECT_EQ(configPath(nullptr, "/opt/cocoon/bin"), "/opt/cocoon/etc/cocoon/config.toml");
}

TEST(RuntimeConfig, FindsInstalledFileOrFallsBackToDefaults) {
  auto dir = TempDir::create("runtime-config");
  ASSERT_TRUE(dir);
  const auto prefix = dir->path();
  // No file: the built-in defaults for <prefix>/etc/cocoon.
  auto defaults = findRuntimeConfig(nullptr, prefix / "bin");
  ASSERT_TRUE(defaults) << defaults.error().toString();
  EXPECT_EQ(defaults->source, "");
  EXPECT_EQ(defaults->hypervisor.kernel, prefix / "share/cocoon/vmlinux");
  // An installed file, with a path relative to it.
  ASSERT_TRUE(createDirectories(prefix / "etc/cocoon"));
  ASSERT_TRUE(writeFileAtomic(prefix / "etc/cocoon/config.toml",
                              asBytes("[hypervisor]\ninitrd = \"../../share/x.img\"\n")));
  auto installed = findRuntimeConfig(nullptr, prefix / "bin");
  ASSERT_TRUE(installed) << installed.error().toString();
  EXPECT_EQ(installed->source, prefix / "etc/cocoon/config.toml");
  EXPECT_EQ(installed->hypervisor.initrd, prefix / "share/x.img");
  EXPECT_EQ(installed->hypervisor.kernel, prefix / "share/cocoon/vmlinux");
  // COCOON_CONFIG must name an existing file.
  const std::string missing = (prefix / "nope.toml").string();
  expectError(findRuntimeConfig(missing.c_str(), prefix / "bin"), Code::kNotFound);
}

TEST(RuntimeConfig, TeeOptionsPreferConfigThenDetectedCpuid) {
  RuntimeConfig c = defaultRuntimeConfig("/etc/cocoon");
  tee::HostReport report;
  EXPECT_EQ(teeOptions(c, report).sev_cpuid.cbitpos, 51U);
  report.sev_cpuid = tee::SevCpuid{47, 1};
  EXPECT_EQ(teeOptions(c, report).sev_cpuid.cbitpos, 47U);
  c.tee.cbitpos = 48;
  c.tee.reduced_phys_bits = 2;
  const tee::TeeOptions o = teeOptions(c, report);
  EXPECT_EQ(o.sev_cpuid.cbitpos, 48U);
  EXPECT_EQ(o.sev_cpuid.reduced_phys_bits, 2U);
}

TEST(RuntimeConfig, TeeOptionsCarryTheSwtpmStateTemplate) {
  RuntimeConfig c = defaultRuntimeConfig("/etc/cocoon");
  EXPECT_TRUE(teeOptions(c, {}).swtpm_state_template.empty());  // a fresh TPM per sandbox
  c.tee.swtpm_state_template = "/var/lib/cocoon/vtpm";
  EXPECT_EQ(teeOptions(c, {}).swtpm_state_template, "/var/lib/cocoon/vtpm");
}

}  // namespace
}  // namespace cocoon::runtime::config
