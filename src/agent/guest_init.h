// SPDX-License-Identifier: Apache-2.0
// What cocoon-agent does when it is the guest's PID 1: early mounts, kernel modules, the
// virtio-serial channel to the host, and the power-off at the end of the sandbox.
// Trust: the inputs (the module list, sysfs) belong to the guest image and kernel.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::agent {

// The virtio-serial port kata's runtimes attach the agent channel to.
inline constexpr std::string_view kAgentChannelPortName = "agent.channel.0";

// One best-effort step of guest bring-up, for the log.
struct InitStep {
  std::string what;  // e.g. "mount cgroup2 on /sys/fs/cgroup"
  Status status;
};

// Mounts proc on /proc, sysfs on /sys, devtmpfs on /dev (with /dev/pts and /dev/shm),
// tmpfs on /run and /tmp, cgroup2 on /sys/fs/cgroup; a target already mounted (EBUSY) is
// success. Every step is tried; the result says how each went.
std::vector<InitStep> mountGuestFilesystems();

// Loads the modules named in `list_file`, one per line ("#" starts a comment): an absolute
// path to a .ko file is loaded with finit_module(2); a bare module name with the first
// `modprobe` found in /sbin, /usr/sbin, /bin or /usr/bin. Text after the first space is
// passed as module parameters. A missing list file yields no steps.
std::vector<InitStep> loadKernelModules(const std::filesystem::path& list_file);

// The character device of the virtio-serial port named `port_name`: the entry X of
// `class_dir` (/sys/class/virtio-ports) whose X/name holds it, as `dev_dir`/X.
// Errors: kNotFound naming the port when no entry has it (or class_dir is missing).
Result<std::filesystem::path> findVirtioPort(
    std::string_view port_name, const std::filesystem::path& class_dir = "/sys/class/virtio-ports",
    const std::filesystem::path& dev_dir = "/dev");

// The virtio device id of a vsock device (virtio spec, "Device Types": 19).
inline constexpr unsigned kVirtioVsockDeviceId = 19;
// The vsock port the agent serves when the VM has a vsock device (kata's agent port; the
// host's runtime::vm::kAgentVsockPort).
inline constexpr std::uint32_t kAgentVsockPort = 1024;

// Whether some entry X of `devices_dir` (/sys/bus/virtio/devices) has X/device holding
// `device_id` ("0x0013" for vsock: sysfs prints it in hex).
bool hasVirtioDevice(unsigned device_id,
                     const std::filesystem::path& devices_dir = "/sys/bus/virtio/devices");

// sync(), then reboot(RB_POWER_OFF). Returns only if the kernel refused (not PID 1, no
// CAP_SYS_BOOT), with kPermissionDenied/kInternal and the errno.
Status powerOff();

}  // namespace cocoon::agent
