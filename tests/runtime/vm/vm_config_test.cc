// SPDX-License-Identifier: Apache-2.0
#include "runtime/vm/vm_config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace cocoon::runtime::vm {
namespace {

using Args = std::vector<std::string>;

VmConfig baseConfig() {
  VmConfig config;
  config.kernel = "/g/vmlinux";
  config.initrd = "/g/initrd.img";
  config.run_dir = "/run/cocoon/vm1";
  return config;
}

// The arguments every VM gets after the machine-specific head.
Args channelArgs(const std::string& bus) {
  return {
      "-pidfile", "/run/cocoon/vm1/qemu.pid",
      "-chardev", "socket,id=qmp,fd=3",
      "-mon",     "chardev=qmp,mode=control",
      "-chardev", "socket,id=console,fd=4",
      "-serial",  "chardev:console",
      "-device",  "virtio-serial-" + bus + ",id=vser0",
      "-chardev", "socket,id=agent,path=/run/cocoon/vm1/agent.sock,server=on,wait=off",
      "-device",  "virtserialport,bus=vser0.0,chardev=agent,id=agent-port,name=agent.channel.0"};
}

// The arguments before the devices: machine, cpu, smp, memory, kernel and its cmdline.
Args headArgs(const std::string& machine, const std::string& cpu, const std::string& smp,
              const std::string& memory, const std::string& append) {
  return {"qemu-system-x86_64",
          "-nodefaults",
          "-nographic",
          "-no-user-config",
          "-no-reboot",
          "-machine",
          machine,
          "-cpu",
          cpu,
          "-smp",
          smp,
          "-m",
          memory,
          "-kernel",
          "/g/vmlinux",
          "-initrd",
          "/g/initrd.img",
          "-append",
          append};
}

Args concat(Args head, const Args& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(QemuCommandLine, Q35TcgDefaultsBootQboot) {
  auto args = qemuCommandLine(baseConfig(), Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  const Args head = headArgs("q35,accel=tcg", "max", "1", "512M", "console=ttyS0 panic=-1 quiet");
  EXPECT_EQ(*args,
            concat(concat(head, {"-bios", "/usr/share/qemu/qboot.rom"}), channelArgs("pci")));
}

TEST(QemuCommandLine, Q35WithoutFirmwareLeavesQemusDefault) {
  VmConfig config = baseConfig();
  config.firmware.clear();
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  const Args head = headArgs("q35,accel=tcg", "max", "1", "512M", "console=ttyS0 panic=-1 quiet");
  EXPECT_EQ(*args, concat(head, channelArgs("pci")));
}

TEST(QemuCommandLine, MicrovmUsesVirtioMmioAndTscOnTcg) {
  VmConfig config = baseConfig();
  config.machine = Machine::kMicrovm;
  config.vcpus = 2;
  config.memory_mib = 1024;
  config.kernel_cmdline = "console=ttyS0";
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  const Args head =
      headArgs("microvm,accel=tcg", "max", "2", "1024M", "console=ttyS0 tsc_early_khz=2000000");
  EXPECT_EQ(*args, concat(head, channelArgs("device")));
}

TEST(QemuCommandLine, KvmUsesHostCpuAndNoTscOverride) {
  VmConfig config = baseConfig();
  config.machine = Machine::kMicrovm;
  auto args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_TRUE(args) << args.error().toString();
  EXPECT_EQ((*args)[6], "microvm,accel=kvm");
  EXPECT_EQ((*args)[8], "host");
  EXPECT_EQ((*args)[18], "console=ttyS0 panic=-1 quiet");
}

TEST(QemuCommandLine, AttachesInitDataReadOnlyWithItsSerial) {
  VmConfig config = baseConfig();
  config.init_data_block = Bytes(512, 0);
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  const Args tail(args->end() - 4, args->end());
  EXPECT_EQ(tail, (Args{"-drive",
                        "if=none,id=initdata,file=/run/cocoon/vm1/initdata.img,"
                        "format=raw,readonly=on",
                        "-device", "virtio-blk-pci,drive=initdata,serial=initdata"}));
  EXPECT_EQ(initDataDiskPath(config), "/run/cocoon/vm1/initdata.img");
}

TEST(QemuCommandLine, AddsScratchDiskNetworkAndTeeInOrder) {
  VmConfig config = baseConfig();
  config.scratch_disk_bytes = 1 << 30;
  config.scratch_disk_format = DiskFormat::kQcow2;
  config.user_network = true;
  config.guest_forwards = {{.guest_port = 5000, .host_port = 41234},
                           {.guest_address = "10.0.2.101",
                            .guest_port = 8080,
                            .host_address = "127.0.0.2",
                            .host_port = 8081}};
  config.agent_socket = "/tmp/a,b/agent.sock";
  config.tee.kind = tee::TeeKind::kSnp;
  config.tee.machine_properties = {"confidential-guest-support=snp0", "memory-backend=ram1"};
  config.tee.arguments = {"-object", "sev-snp-guest,id=snp0,cbitpos=51"};
  config.tee.firmware = "/usr/share/ovmf/OVMF.amdsev.fd";
  config.tee.kernel_parameters = {"tpm_tis.force=1"};
  auto args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_TRUE(args) << args.error().toString();
  Args channel = channelArgs("pci");
  channel[13] = "socket,id=agent,path=/tmp/a,,b/agent.sock,server=on,wait=off";
  const Args expected = concat(
      concat({"qemu-system-x86_64",
              "-nodefaults",
              "-nographic",
              "-no-user-config",
              "-no-reboot",
              "-machine",
              "q35,accel=kvm,confidential-guest-support=snp0,memory-backend=ram1",
              "-cpu",
              "host",
              "-smp",
              "1",
              "-m",
              "512M",
              "-kernel",
              "/g/vmlinux",
              "-initrd",
              "/g/initrd.img",
              "-append",
              "console=ttyS0 panic=-1 quiet tpm_tis.force=1",
              "-bios",
              "/usr/share/ovmf/OVMF.amdsev.fd"},
             channel),
      {"-drive", "if=none,id=scratch,file=/run/cocoon/vm1/scratch.qcow2,format=qcow2,discard=unmap",
       "-device", "virtio-blk-pci,drive=scratch,serial=scratch", "-netdev",
       "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:5000-cmd:busybox nc 127.0.0.1 41234,"
       "guestfwd=tcp:10.0.2.101:8080-cmd:busybox nc 127.0.0.2 8081",
       "-device", "virtio-net-pci,netdev=net0", "-object", "sev-snp-guest,id=snp0,cbitpos=51"});
  EXPECT_EQ(*args, expected);
}

TEST(QemuCommandLine, VtpmOnQ35FindsTheTpmThroughAcpi) {
  VmConfig config = baseConfig();
  config.tee.kind = tee::TeeKind::kVtpm;
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  EXPECT_EQ((*args)[18], "console=ttyS0 panic=-1 quiet");
  EXPECT_EQ((*args)[19], "-bios");
  EXPECT_EQ((*args)[20], "/usr/share/qemu/qboot.rom");
}

TEST(QemuCommandLine, RejectsVtpmOnQ35WithSeabios) {
  VmConfig config = baseConfig();
  config.tee.kind = tee::TeeKind::kVtpm;
  config.firmware.clear();
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_NE(args.error().message.find("with SeaBIOS the initrd overwrites them"), std::string::npos)
      << args.error().message;
}

TEST(QemuCommandLine, VtpmOnMicrovmForcesTpmTisProbeUnlessGiven) {
  VmConfig config = baseConfig();
  config.machine = Machine::kMicrovm;
  config.tee.kind = tee::TeeKind::kVtpm;
  auto args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_TRUE(args) << args.error().toString();
  EXPECT_EQ((*args)[18], "console=ttyS0 panic=-1 quiet tpm_tis.force=1");
  EXPECT_EQ((*args)[19], "-pidfile");  // microvm keeps QEMU's own firmware
  config.kernel_cmdline = "console=ttyS0 tpm_tis.force=0";
  args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_TRUE(args) << args.error().toString();
  EXPECT_EQ((*args)[18], "console=ttyS0 tpm_tis.force=0");
}

TEST(QemuCommandLine, RejectsUnresolvedAccel) {
  auto args = qemuCommandLine(baseConfig(), Accel::kAuto);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_EQ(args.error().message, "accel must be resolved to kvm or tcg first");
}

TEST(QemuCommandLine, RejectsBadSizes) {
  VmConfig config = baseConfig();
  config.vcpus = 256;
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_EQ(args.error().message, "vcpus 256 is outside 1..255");
  config = baseConfig();
  config.memory_mib = 0;
  args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message, "memory_mib is 0");
}

TEST(QemuCommandLine, RejectsMissingKernel) {
  VmConfig config = baseConfig();
  config.kernel.clear();
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_EQ(args.error().message, "kernel, initrd and run_dir are required");
}

TEST(QemuCommandLine, RejectsSocketPathTooLongForSockaddr) {
  VmConfig config = baseConfig();
  config.agent_socket = "/" + std::string(107, 'a');
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_NE(args.error().message.find("has 108 bytes; at most 107 fit"), std::string::npos);
}

TEST(QemuCommandLine, RejectsForwardThatCouldInjectOptions) {
  VmConfig config = baseConfig();
  config.user_network = true;
  config.guest_forwards = {{.guest_port = 1, .host_address = "127.0.0.1,smb=/", .host_port = 2}};
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  config.guest_forwards = {{.guest_port = 0, .host_port = 2}};
  args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message, "guest forward 10.0.2.100:0 -> 127.0.0.1:2 has a zero port");
}

TEST(QemuCommandLine, RejectsConfidentialTeeOnMicrovm) {
  VmConfig config = baseConfig();
  config.machine = Machine::kMicrovm;
  config.tee.kind = tee::TeeKind::kTdx;
  auto args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code, Code::kInvalidArgument);
  EXPECT_EQ(args.error().message, "machine microvm cannot host a confidential TEE");
}

TEST(ResolveAccel, AutoFollowsTheProbeAndExplicitChoicesWin) {
  EXPECT_EQ(resolveAccel(Accel::kAuto, [] { return true; }), Accel::kKvm);
  EXPECT_EQ(resolveAccel(Accel::kAuto, [] { return false; }), Accel::kTcg);
  EXPECT_EQ(resolveAccel(Accel::kTcg, [] { return true; }), Accel::kTcg);
  EXPECT_EQ(resolveAccel(Accel::kKvm, [] { return false; }), Accel::kKvm);
}

TEST(VmConfigNames, ParseRoundTripsAndRejectsUnknown) {
  EXPECT_EQ(parseMachine("microvm").value(), Machine::kMicrovm);
  EXPECT_EQ(parseAccel("tcg").value(), Accel::kTcg);
  EXPECT_EQ(accelName(parseAccel("auto").value()), "auto");
  auto bad = parseMachine("pc");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "machine 'pc' is not one of q35, microvm");
}

TEST(AgentChannel, ParsesResolvesAndNamesTheChoices) {
  EXPECT_EQ(parseAgentChannel("vsock").value(), AgentChannel::kVsock);
  EXPECT_EQ(agentChannelName(parseAgentChannel("virtio-serial").value()), "virtio-serial");
  auto bad = parseAgentChannel("serial");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "agent channel 'serial' is not one of auto, virtio-serial, vsock");
  EXPECT_EQ(resolveAgentChannel(AgentChannel::kAuto, [] { return true; }), AgentChannel::kVsock);
  EXPECT_EQ(resolveAgentChannel(AgentChannel::kAuto, [] { return false; }),
            AgentChannel::kVirtioSerial);
  EXPECT_EQ(resolveAgentChannel(AgentChannel::kVsock, [] { return false; }), AgentChannel::kVsock);
  EXPECT_EQ(resolveAgentChannel(AgentChannel::kVirtioSerial, [] { return true; }),
            AgentChannel::kVirtioSerial);
}

TEST(QemuCommandLine, VsockReplacesTheVirtioSerialChannel) {
  VmConfig config = baseConfig();
  config.agent_channel = AgentChannel::kVsock;
  config.guest_cid = 1234567;
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_TRUE(args) << args.error().toString();
  const Args head = headArgs("q35,accel=tcg", "max", "1", "512M", "console=ttyS0 panic=-1 quiet");
  EXPECT_EQ(*args, concat(concat(head, {"-bios", "/usr/share/qemu/qboot.rom"}),
                          {"-pidfile", "/run/cocoon/vm1/qemu.pid", "-chardev", "socket,id=qmp,fd=3",
                           "-mon", "chardev=qmp,mode=control", "-chardev", "socket,id=console,fd=4",
                           "-serial", "chardev:console", "-device",
                           "vhost-vsock-pci,guest-cid=1234567,vhostfd=5"}));
  config.machine = Machine::kMicrovm;
  args = qemuCommandLine(config, Accel::kKvm);
  ASSERT_TRUE(args) << args.error().toString();
  EXPECT_EQ(args->back(), "vhost-vsock-device,guest-cid=1234567,vhostfd=5");
}

TEST(QemuCommandLine, RejectsUnresolvedChannelAndReservedCids) {
  VmConfig config = baseConfig();
  config.agent_channel = AgentChannel::kAuto;
  auto args = qemuCommandLine(config, Accel::kTcg);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message, "agent channel must be resolved to virtio-serial or vsock first");
  config.agent_channel = AgentChannel::kVsock;
  for (const std::uint32_t cid : {0U, 2U, 0xffffffffU}) {
    config.guest_cid = cid;
    args = qemuCommandLine(config, Accel::kTcg);
    ASSERT_FALSE(args) << cid;
    EXPECT_EQ(args.error().code, Code::kInvalidArgument);
    EXPECT_EQ(args.error().message, fmt::format("guest CID {} is outside 3..4294967294", cid));
  }
}

}  // namespace
}  // namespace cocoon::runtime::vm
