// SPDX-License-Identifier: Apache-2.0
// VmConfig: everything the VM launcher needs to start one sandbox VM under QEMU, and the
// pure function that turns it into QEMU's command line.
// Trust: the config is the host operator's (runtime config file and the shim); nothing in
// it comes from the guest.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "runtime/tee/qemu_tee_config.h"

namespace cocoon::runtime::vm {

enum class Machine : std::uint8_t { kQ35, kMicrovm };
// kAuto: KVM when it works on this host (see resolveAccel), TCG otherwise.
enum class Accel : std::uint8_t { kAuto, kKvm, kTcg };
enum class DiskFormat : std::uint8_t { kQcow2, kRaw };
// How the host reaches the agent: a virtio-serial port behind a unix socket QEMU listens on
// (works on every host), or vsock, which needs the host's vhost-vsock (/dev/vhost-vsock).
// kAuto: vsock when /dev/vhost-vsock can be opened (see resolveAgentChannel).
enum class AgentChannel : std::uint8_t { kAuto, kVirtioSerial, kVsock };

// The guest vsock port the agent listens on (kata's default agent port).
inline constexpr std::uint32_t kAgentVsockPort = 1024;
// The fd Vm::launch hands QEMU for vhost-vsock: the /dev/vhost-vsock file that already holds
// the guest's CID (internal/vhost_vsock.h), so no other VM can take it in between.
inline constexpr int kVhostVsockFd = 5;
// Guest CIDs: 0-2 are reserved (hypervisor, local, host); U32_MAX means "any".
inline constexpr std::uint32_t kMinGuestCid = 3;
inline constexpr std::uint32_t kMaxGuestCid = 0xfffffffe;

// One guestfwd rule of QEMU user networking: each guest connection to
// guest_address:guest_port is relayed to host_address:host_port on the host by a
// kForwardRelay process that QEMU starts for it.
// The relay QEMU runs per forwarded connection (busybox-static is a dependency).
inline constexpr std::string_view kForwardRelay = "busybox nc";

struct GuestForward {
  std::string guest_address = "10.0.2.100";
  std::uint16_t guest_port = 0;
  std::string host_address = "127.0.0.1";
  std::uint16_t host_port = 0;
};

// The agent channel's virtio-serial port name: the guest's /init links
// /dev/virtio-ports/<name> to it (guest/init.sh).
inline constexpr std::string_view kAgentPortName = "agent.channel.0";
// QEMU's device id of that port, named by the VSERPORT_CHANGE event when the guest opens
// or closes it.
inline constexpr std::string_view kAgentPortId = "agent-port";

// The file descriptors Vm::launch hands QEMU for QMP and the serial console (connected
// unix sockets; the command line names them by number).
inline constexpr int kQmpFd = 3;
inline constexpr int kConsoleFd = 4;

// The firmware q35 boots the kernel with unless the TEE brings its own (OVMF builds for
// SEV/SNP/TDX): qboot, from Debian's qemu-system-data. It lays QEMU's ACPI tables out
// below 1 MiB. SeaBIOS, QEMU's default, puts them at the top of low RAM together with a
// TPM's 64 KiB event log (196 KiB with tpm-tis), while QEMU loads the initrd to end
// 160 KiB below that top: the initrd then overwrites the RSDT, and the kernel either runs
// without ACPI or, when the initrd's last bytes look like table pointers, hangs in
// acpi_early_init (docs/guest.md, "Firmware"). qboot also starts the kernel sooner.
inline constexpr std::string_view kDefaultQ35Firmware = "/usr/share/qemu/qboot.rom";

struct VmConfig {
  // Looked up in PATH when it has no '/'.
  std::string qemu_binary = "qemu-system-x86_64";
  Machine machine = Machine::kQ35;
  Accel accel = Accel::kAuto;
  std::uint32_t memory_mib = 512;
  std::uint32_t vcpus = 1;
  // Built by guest/build-guest.sh: the uncompressed vmlinux boots fastest under TCG.
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  // kVirtioSerial or kVsock (resolved; kAuto is refused by qemuCommandLine).
  AgentChannel agent_channel = AgentChannel::kVirtioSerial;
  // kVsock: the guest's CID (kMinGuestCid..kMaxGuestCid). Vm::launch reserves a free one
  // and sets it; qemuCommandLine needs it set.
  std::uint32_t guest_cid = 0;
  // q35's firmware (-bios) when the TEE names none; empty: QEMU's default (SeaBIOS), which
  // cannot host a TPM (see kDefaultQ35Firmware). microvm always boots QEMU's own.
  std::filesystem::path firmware{kDefaultQ35Firmware};
  // Kernel command line; the TEE's kernel_parameters, tpm_tis.force=1 for kVtpm on microvm
  // (unless given) and, for microvm under TCG, tsc_early_khz=2000000 are appended. panic=-1 with
  // QEMU's -no-reboot ends the VM on a panic.
  std::string kernel_cmdline = "console=ttyS0 panic=-1 quiet";
  // Per-VM directory (created by launch, removed by shutdown) holding QEMU's pid file,
  // its stderr (qemu.log), the scratch disk and, by default, the agent socket.
  // Required; must not exist yet.
  std::filesystem::path run_dir;
  // Unix socket QEMU listens on for the agent channel (virtio-serial port
  // kAgentPortName); empty: <run_dir>/agent.sock. At most 107 bytes.
  std::filesystem::path agent_socket;
  // Where the guest's serial console is copied (appended); kept after shutdown. Empty:
  // the console is read (for the boot timeline) but not kept.
  std::filesystem::path console_log;
  // Size of an ephemeral scratch disk created sparse in run_dir (virtio-blk, serial
  // "scratch"); 0 = none.
  std::uint64_t scratch_disk_bytes = 0;
  DiskFormat scratch_disk_format = DiskFormat::kRaw;
  // The init-data block image (runtime/tee/initdata.h), written to <run_dir>/initdata.img
  // and attached read-only as virtio-blk with serial "initdata"; empty = no such disk.
  // The guest reads the owner's launch configuration from it.
  Bytes init_data_block;
  // QEMU user networking with restrict=on (no route out) plus these guestfwd rules.
  bool user_network = false;
  std::vector<GuestForward> guest_forwards;
  // What the TEE backend adds (runtime/tee); kind kNone adds nothing.
  tee::QemuTeeConfig tee;
  // How long launch waits for QEMU to answer on QMP (it has created its sockets then).
  std::chrono::milliseconds startup_timeout{10000};
};

// "q35" | "microvm"; "auto" | "kvm" | "tcg"; "qcow2" | "raw"; "auto" | "virtio-serial" |
// "vsock".
std::string_view machineName(Machine machine);
std::string_view accelName(Accel accel);
std::string_view diskFormatName(DiskFormat format);
std::string_view agentChannelName(AgentChannel channel);
// Errors: kInvalidArgument naming the text and the accepted names.
Result<Machine> parseMachine(std::string_view text);
Result<Accel> parseAccel(std::string_view text);
Result<AgentChannel> parseAgentChannel(std::string_view text);

// Decides the agent channel: kVirtioSerial or kVsock as configured; for kAuto, kVsock when
// `vhost_vsock_usable()` says the host has vhost-vsock, else kVirtioSerial.
AgentChannel resolveAgentChannel(AgentChannel configured,
                                 const std::function<bool()>& vhost_vsock_usable);
// The production probe: /dev/vhost-vsock opens read-write.
bool vhostVsockUsable();

// The agent socket path the config resolves to (agent_socket, or <run_dir>/agent.sock).
std::filesystem::path agentSocketPath(const VmConfig& config);
// <run_dir>/scratch.qcow2 or scratch.img.
std::filesystem::path scratchDiskPath(const VmConfig& config);
// <run_dir>/initdata.img.
std::filesystem::path initDataDiskPath(const VmConfig& config);

// Decides the accelerator: kKvm or kTcg as configured; for kAuto, kKvm when
// `kvm_usable()` says KVM works here, else kTcg. Pure apart from the probe.
Accel resolveAccel(Accel configured, const std::function<bool()>& kvm_usable);

// The production probe: /dev/kvm opens read-write and KVM_CREATE_VM succeeds. A host
// whose KVM cannot boot ordinary guests (a paravirtual kvm_pvm) passes this probe: such
// hosts must configure kTcg explicitly (docs/guest.md).
bool kvmUsable();

// QEMU's argv (argv[0] = qemu_binary) for `config` with the accelerator `accel`
// (kKvm or kTcg, as resolveAccel decided). QMP is expected on fd kQmpFd and the serial
// console on fd kConsoleFd, and for kVsock the vhost-vsock device on fd kVhostVsockFd (the
// virtio-serial channel is then left out). Paths containing ',' are escaped as QEMU wants
// (",,").
// Deterministic: the same inputs give the same argv.
// Errors: kInvalidArgument when accel is kAuto, memory_mib is 0, vcpus is 0 or above
// 255, kernel, initrd or run_dir is empty, the agent socket path exceeds 107 bytes, a
// guest forward has a zero port or an address with ',', ' ' or '-', microvm is combined with a
// TEE other than kNone or kVtpm, kVtpm on q35 has neither a TEE firmware nor `firmware`, or
// the agent channel is kAuto, or kVsock with guest_cid outside kMinGuestCid..kMaxGuestCid.
Result<std::vector<std::string>> qemuCommandLine(const VmConfig& config, Accel accel);

}  // namespace cocoon::runtime::vm
