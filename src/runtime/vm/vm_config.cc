// SPDX-License-Identifier: Apache-2.0
// VmConfig names, accelerator choice and the QEMU command line.
#include "runtime/vm/vm_config.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <optional>

#include <fmt/format.h>

#include "common/unique_fd.h"

namespace cocoon::runtime::vm {
namespace {

// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxUnixPath = 107;

// QEMU option values escape ',' by doubling it.
std::string escapeOption(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    out += c;
    if (c == ',') {
      out += ',';
    }
  }
  return out;
}

std::string escapePath(const std::filesystem::path& path) {
  return escapeOption(path.string());
}

}  // namespace

std::string_view machineName(Machine machine) {
  return machine == Machine::kMicrovm ? "microvm" : "q35";
}

std::string_view accelName(Accel accel) {
  switch (accel) {
    case Accel::kKvm:
      return "kvm";
    case Accel::kTcg:
      return "tcg";
    case Accel::kAuto:
      break;
  }
  return "auto";
}

std::string_view agentChannelName(AgentChannel channel) {
  switch (channel) {
    case AgentChannel::kVirtioSerial:
      return "virtio-serial";
    case AgentChannel::kVsock:
      return "vsock";
    case AgentChannel::kAuto:
      break;
  }
  return "auto";
}

Result<AgentChannel> parseAgentChannel(std::string_view text) {
  for (const AgentChannel channel :
       {AgentChannel::kAuto, AgentChannel::kVirtioSerial, AgentChannel::kVsock}) {
    if (text == agentChannelName(channel)) {
      return channel;
    }
  }
  return fail(Code::kInvalidArgument, "agent channel '{}' is not one of auto, virtio-serial, vsock",
              text);
}

AgentChannel resolveAgentChannel(AgentChannel configured,
                                 const std::function<bool()>& vhost_vsock_usable) {
  if (configured != AgentChannel::kAuto) {
    return configured;
  }
  return vhost_vsock_usable() ? AgentChannel::kVsock : AgentChannel::kVirtioSerial;
}

bool vhostVsockUsable() {
  const UniqueFd fd(::open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC));
  return fd.valid();
}

std::string_view diskFormatName(DiskFormat format) {
  return format == DiskFormat::kQcow2 ? "qcow2" : "raw";
}

Result<Machine> parseMachine(std::string_view text) {
  if (text == "q35") {
    return Machine::kQ35;
  }
  if (text == "microvm") {
    return Machine::kMicrovm;
  }
  return fail(Code::kInvalidArgument, "machine '{}' is not one of q35, microvm", text);
}

Result<Accel> parseAccel(std::string_view text) {
  for (const Accel accel : {Accel::kAuto, Accel::kKvm, Accel::kTcg}) {
    if (text == accelName(accel)) {
      return accel;
    }
  }
  return fail(Code::kInvalidArgument, "accel '{}' is not one of auto, kvm, tcg", text);
}

std::filesystem::path agentSocketPath(const VmConfig& config) {
  return config.agent_socket.empty() ? config.run_dir / "agent.sock" : config.agent_socket;
}

std::filesystem::path scratchDiskPath(const VmConfig& config) {
  return config.run_dir /
         (config.scratch_disk_format == DiskFormat::kQcow2 ? "scratch.qcow2" : "scratch.img");
}

std::filesystem::path initDataDiskPath(const VmConfig& config) {
  return config.run_dir / "initdata.img";
}

Accel resolveAccel(Accel configured, const std::function<bool()>& kvm_usable) {
  if (configured != Accel::kAuto) {
    return configured;
  }
  return kvm_usable() ? Accel::kKvm : Accel::kTcg;
}

bool kvmUsable() {
  const UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.valid()) {
    return false;
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl is the KVM API.
  const UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0UL));
  return vm.valid();
}

Result<std::vector<std::string>> qemuCommandLine(const VmConfig& config, Accel accel) {
  if (accel == Accel::kAuto) {
    return fail(Code::kInvalidArgument, "accel must be resolved to kvm or tcg first");
  }
  if (config.memory_mib == 0) {
    return fail(Code::kInvalidArgument, "memory_mib is 0");
  }
  if (config.vcpus == 0 || config.vcpus > 255) {
    return fail(Code::kInvalidArgument, "vcpus {} is outside 1..255", config.vcpus);
  }
  if (config.kernel.empty() || config.initrd.empty() || config.run_dir.empty()) {
    return fail(Code::kInvalidArgument, "kernel, initrd and run_dir are required");
  }
  const bool vsock = config.agent_channel == AgentChannel::kVsock;
  if (config.agent_channel == AgentChannel::kAuto) {
    return fail(Code::kInvalidArgument,
                "agent channel must be resolved to virtio-serial or vsock first");
  }
  if (vsock && (config.guest_cid < kMinGuestCid || config.guest_cid > kMaxGuestCid)) {
    return fail(Code::kInvalidArgument, "guest CID {} is outside {}..{}", config.guest_cid,
                kMinGuestCid, kMaxGuestCid);
  }
  const std::filesystem::path agent_socket = agentSocketPath(config);
  if (!vsock && agent_socket.string().size() > kMaxUnixPath) {
    return fail(Code::kInvalidArgument, "agent socket path has {} bytes; at most {} fit: {}",
                agent_socket.string().size(), kMaxUnixPath, agent_socket.string());
  }
  const bool microvm = config.machine == Machine::kMicrovm;
  const tee::TeeKind tee_kind = config.tee.kind;
  if (microvm && tee_kind != tee::TeeKind::kNone && tee_kind != tee::TeeKind::kVtpm) {
    return fail(Code::kInvalidArgument, "machine microvm cannot host a confidential TEE");
  }

  std::string machine{machineName(config.machine)};
  machine += fmt::format(",accel={}", accelName(accel));
  for (const std::string& property : config.tee.machine_properties) {
    machine += "," + property;
  }
  std::string cmdline = config.kernel_cmdline;
  for (const std::string& parameter : config.tee.kernel_parameters) {
    cmdline += " " + parameter;
  }
  std::optional<std::filesystem::path> firmware = config.tee.firmware;
  if (!firmware && !microvm && !config.firmware.empty()) {
    firmware = config.firmware;
  }
  if (tee_kind == tee::TeeKind::kVtpm && !microvm && !firmware) {
    return fail(Code::kInvalidArgument,
                "vtpm on q35 needs a firmware that keeps the ACPI tables clear of the initrd "
                "(hypervisor firmware, default {}); with SeaBIOS the initrd overwrites them",
                kDefaultQ35Firmware);
  }
  if (tee_kind == tee::TeeKind::kVtpm && microvm &&
      cmdline.find("tpm_tis.force=") == std::string::npos) {
    // microvm's ACPI tables describe no TPM: the tpm_tis driver must probe its fixed address.
    cmdline += " tpm_tis.force=1";
  }
  if (microvm && accel == Accel::kTcg) {
    // Without HPET or a PM timer the TSC calibration sometimes hangs under TCG.
    cmdline += " tsc_early_khz=2000000";
  }
  // microvm has no PCI bus: its virtio devices sit on virtio-mmio.
  const std::string virtio_suffix = microvm ? "device" : "pci";

  std::vector<std::string> args = {
      config.qemu_binary,
      "-nodefaults",
      "-nographic",
      "-no-user-config",
      "-no-reboot",
      "-machine",
      machine,
      "-cpu",
      accel == Accel::kKvm ? "host" : "max",
      "-smp",
      std::to_string(config.vcpus),
      "-m",
      fmt::format("{}M", config.memory_mib),
      "-kernel",
      config.kernel.string(),
      "-initrd",
      config.initrd.string(),
      "-append",
      cmdline,
  };
  if (firmware) {
    args.insert(args.end(), {"-bios", firmware->string()});
  }
  args.insert(
      args.end(),
      {"-pidfile", (config.run_dir / "qemu.pid").string(), "-chardev",
       fmt::format("socket,id=qmp,fd={}", kQmpFd), "-mon", "chardev=qmp,mode=control", "-chardev",
       fmt::format("socket,id=console,fd={}", kConsoleFd), "-serial", "chardev:console"});
  if (vsock) {
    // microvm's virtio devices sit on virtio-mmio ("-device"), q35's on PCI.
    args.insert(args.end(),
                {"-device", fmt::format("vhost-vsock-{},guest-cid={},vhostfd={}", virtio_suffix,
                                        config.guest_cid, kVhostVsockFd)});
  } else {
    args.insert(
        args.end(),
        {"-device", fmt::format("virtio-serial-{},id=vser0", virtio_suffix), "-chardev",
         fmt::format("socket,id=agent,path={},server=on,wait=off", escapePath(agent_socket)),
         "-device",
         fmt::format("virtserialport,bus=vser0.0,chardev=agent,id={},name={}", kAgentPortId,
                     kAgentPortName)});
  }
  if (config.scratch_disk_bytes > 0) {
    args.insert(
        args.end(),
        {"-drive",
         fmt::format("if=none,id=scratch,file={},format={},discard=unmap",
                     escapePath(scratchDiskPath(config)),
                     diskFormatName(config.scratch_disk_format)),
         "-device", fmt::format("virtio-blk-{},drive=scratch,serial=scratch", virtio_suffix)});
  }
  if (!config.init_data_block.empty()) {
    args.insert(
        args.end(),
        {"-drive",
         fmt::format("if=none,id=initdata,file={},format=raw,readonly=on",
                     escapePath(initDataDiskPath(config))),
         "-device", fmt::format("virtio-blk-{},drive=initdata,serial=initdata", virtio_suffix)});
  }
  if (config.user_network) {
    std::string netdev = "user,id=net0,restrict=on";
    for (const GuestForward& forward : config.guest_forwards) {
      if (forward.guest_address.find_first_of(", -") != std::string::npos ||
          forward.host_address.find_first_of(", -") != std::string::npos) {
        return fail(Code::kInvalidArgument,
                    "guest forward address '{}' or '{}' contains ',', ' ' or '-'",
                    forward.guest_address, forward.host_address);
      }
      if (forward.guest_port == 0 || forward.host_port == 0) {
        return fail(Code::kInvalidArgument, "guest forward {}:{} -> {}:{} has a zero port",
                    forward.guest_address, forward.guest_port, forward.host_address,
                    forward.host_port);
      }
      // A `tcp:` target would be one connection opened at startup; `cmd:` runs the relay
      // per guest connection, so the host service may start later and serve many.
      netdev +=
          fmt::format(",guestfwd=tcp:{}:{}-cmd:{} {} {}", forward.guest_address, forward.guest_port,
                      kForwardRelay, forward.host_address, forward.host_port);
    }
    args.insert(args.end(), {"-netdev", netdev, "-device",
                             fmt::format("virtio-net-{},netdev=net0", virtio_suffix)});
  }
  args.insert(args.end(), config.tee.arguments.begin(), config.tee.arguments.end());
  return args;
}

}  // namespace cocoon::runtime::vm
