// SPDX-License-Identifier: Apache-2.0
// PID 1 helpers that can run unprivileged on a fake sysfs: channel lookup, module lists.
#include "agent/guest_init.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;

TEST(FindVirtioPort, FindsThePortByName) {
  auto dir = TempDir::create("agent-sysfs");
  ASSERT_TRUE(dir);
  for (auto [port, name] : {std::pair{"vport0p1", "org.qemu.guest_agent.0"},
                            std::pair{"vport0p2", "agent.channel.0"}}) {
    std::filesystem::create_directories(dir->path() / port);
    std::ofstream(dir->path() / port / "name") << name << "\n";
  }
  auto port = findVirtioPort(kAgentChannelPortName, dir->path(), "/dev");
  ASSERT_TRUE(port) << port.error().toString();
  EXPECT_EQ(*port, "/dev/vport0p2");
  expectError(findVirtioPort("other", dir->path(), "/dev"), Code::kNotFound,
              "no virtio-serial port named other");
}

TEST(HasVirtioDevice, FindsADeviceIdInSysfsHex) {
  auto dir = TempDir::create("agent-virtio");
  ASSERT_TRUE(dir);
  EXPECT_FALSE(hasVirtioDevice(kVirtioVsockDeviceId, dir->path()));
  EXPECT_FALSE(hasVirtioDevice(kVirtioVsockDeviceId, dir->path() / "missing"));
  for (auto [device, id] : {std::pair{"virtio0", "0x0003\n"}, std::pair{"virtio1", "junk\n"},
                            std::pair{"virtio2", "0x0002\n"}}) {
    std::filesystem::create_directories(dir->path() / device);
    std::ofstream(dir->path() / device / "device") << id;
  }
  EXPECT_TRUE(hasVirtioDevice(3, dir->path()));
  EXPECT_FALSE(hasVirtioDevice(kVirtioVsockDeviceId, dir->path()));
  std::filesystem::create_directories(dir->path() / "virtio3");
  std::ofstream(dir->path() / "virtio3" / "device") << "0x0013\n";
  EXPECT_TRUE(hasVirtioDevice(kVirtioVsockDeviceId, dir->path()));
}

TEST(LoadKernelModules, MissingListLoadsNothing) {
  EXPECT_TRUE(loadKernelModules("/nonexistent/cocoon/modules").empty());
}

TEST(LoadKernelModules, ReportsEachModuleAndSkipsComments) {
  auto dir = TempDir::create("agent-modules");
  ASSERT_TRUE(dir);
  std::ofstream(dir->path() / "modules") << "# comment\n\n  /nonexistent/vsock.ko  \n";
  auto steps = loadKernelModules(dir->path() / "modules");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].what, "load module /nonexistent/vsock.ko");
  expectError(steps[0].status, Code::kNotFound, "open /nonexistent/vsock.ko");
}

}  // namespace
}  // namespace cocoon::agent
