// SPDX-License-Identifier: Apache-2.0
// readGuestMemory on this host's /proc and on fake /proc trees.
#include "agent/guest_memory.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;

class GuestMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("guest-memory");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    std::filesystem::create_directories(dir_->path() / "self");
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_->path() / name) << text;
  }
  std::optional<TempDir> dir_;
};

TEST_F(GuestMemoryTest, ReadsThisProcessAndThisMachine) {
  auto memory = readGuestMemory();
  ASSERT_TRUE(memory) << memory.error().toString();
  EXPECT_GT(memory->agent_rss_bytes, 0U);
  EXPECT_GT(memory->total_bytes, memory->available_bytes);
  EXPECT_GT(memory->inUseBytes(), 0U);
}

TEST_F(GuestMemoryTest, ParsesKilobyteFieldsAndDescribesThem) {
  write("self/status", "Name:\tcocoon-agent\nVmPeak:\t  30000 kB\nVmRSS:\t   14540 kB\n");
  write("meminfo",
        "MemTotal:        2033124 kB\nMemFree:         1900000 kB\n"
        "MemAvailable:    1970340 kB\nShmem:               412 kB\n");
  auto memory = readGuestMemory(dir_->path());
  ASSERT_TRUE(memory) << memory.error().toString();
  EXPECT_EQ(memory->agent_rss_bytes, 14540U * 1024);
  EXPECT_EQ(memory->inUseBytes(), (2033124U - 1970340U) * 1024);
  EXPECT_EQ(memory->describe(),
            "agent Rss 14.2 MiB; guest in use 61.3 MiB of 1985.5 MiB (tmpfs 0.4 MiB)");
}

TEST_F(GuestMemoryTest, RejectsMissingAndMalformedFields) {
  write("self/status", "Name:\tcocoon-agent\nVmRSSx:\t1 kB\n");
  write("meminfo", "MemTotal: 2 kB\nMemAvailable: 1 kB\nShmem: 0 kB\n");
  expectError(readGuestMemory(dir_->path()), Code::kInternal,
              (dir_->path() / "self" / "status").string() + ": no VmRSS line");
  write("self/status", "VmRSS:\t12 MB\n");
  expectError(readGuestMemory(dir_->path()), Code::kInternal,
              "VmRSS is not \"<number> kB\": \"12 MB\"");
  write("self/status", "VmRSS:\t99999999999999999999999 kB\n");
  expectError(readGuestMemory(dir_->path()), Code::kInternal, "VmRSS is not \"<number> kB\"");
  write("self/status", "VmRSS:\t12 kB\n");
  write("meminfo", "MemTotal: 2 kB\nShmem: 0 kB\n");
  expectError(readGuestMemory(dir_->path()), Code::kInternal, "no MemAvailable line");
  std::filesystem::remove(dir_->path() / "meminfo");
  expectError(readGuestMemory(dir_->path()), Code::kNotFound, "meminfo");
}

}  // namespace
}  // namespace cocoon::agent
