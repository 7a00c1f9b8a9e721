// SPDX-License-Identifier: Apache-2.0
// Finding the scratch disk in sysfs, setup failures that refuse pulls, and the store's free
// space as the budget of pulls; what needs device-mapper is tested in a guest
// (scratch_store_vm_test).
#include "agent/storage/scratch_store.h"

#include <gtest/gtest.h>

#include "agent/storage/capacity.h"
#include "common/encoding.h"
#include "common/files.h"
#include "support/expect.h"

namespace cocoon::agent::storage {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;

class ScratchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("agent-storage");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
  }
  fs::path path(const std::string& rel) const { return dir_->path() / rel; }
  void write(const std::string& rel, std::string_view text) {
    ASSERT_TRUE(createDirectories(path(rel).parent_path()));
    ASSERT_TRUE(writeFileAtomic(path(rel), asBytes(text)));
  }
  std::optional<TempDir> dir_;
};

TEST_F(ScratchStoreTest, FindsVirtioDiskBySerial) {
  write("sys/block/vda/serial", "");
  write("sys/block/vdb/serial", "scratch\n");
  write("sys/block/loop0/size", "0\n");
  auto disk = findDiskBySerial(kScratchSerial, path("sys/block"), "/dev");
  ASSERT_TRUE(disk) << disk.error().toString();
  EXPECT_EQ(*disk, fs::path("/dev/vdb"));
}

TEST_F(ScratchStoreTest, FindsScsiDiskByDeviceSerial) {
  write("sys/block/sda/device/serial", "scratch   \n");
  auto disk = findDiskBySerial(kScratchSerial, path("sys/block"), path("dev"));
  ASSERT_TRUE(disk) << disk.error().toString();
  EXPECT_EQ(*disk, path("dev/sda"));
}

TEST_F(ScratchStoreTest, NoDiskWithSerialIsNotFound) {
  write("sys/block/vda/serial", "scratch2\n");
  expectError(findDiskBySerial(kScratchSerial, path("sys/block")), Code::kNotFound,
              "no block device with serial \"scratch\" under " + path("sys/block").string());
}

TEST_F(ScratchStoreTest, WithoutScratchDiskTheStoreIsTmpfsAndPullsAreAllowed) {
  ASSERT_TRUE(createDirectories(path("sys/block")));
  const GuestStoreOutcome out = setupGuestStore(path("state"), path("sys/block"));
  EXPECT_TRUE(out.status) << out.status.error().toString();
  EXPECT_FALSE(out.encrypted);
  EXPECT_NE(out.summary.find("the image store is the guest's tmpfs"), std::string::npos)
      << out.summary;
  EXPECT_TRUE(checkStoreUsable(path("state")));
}

TEST_F(ScratchStoreTest, FailedSetupIsRecordedAndRefusesPulls) {
  // A scratch disk sysfs names but /dev lacks: the setup fails before touching anything.
  const std::string name = "cocoon-test-no-such-disk";
  write("sys/block/" + name + "/serial", "scratch\n");
  const GuestStoreOutcome out = setupGuestStore(path("state"), path("sys/block"));
  expectError(out.status, Code::kNotFound, "open scratch disk /dev/" + name);
  EXPECT_FALSE(out.encrypted);
  EXPECT_NE(out.summary.find("encrypted store on /dev/" + name + " failed"), std::string::npos)
      << out.summary;
  expectError(
      checkStoreUsable(path("state")), Code::kFailedPrecondition,
      "the agent's image store could not be set up: NOT_FOUND: open scratch disk /dev/" + name);
}

TEST_F(ScratchStoreTest, MissingMkfsIsNotFoundBeforeFormatting) {
  write("disk.img", std::string(4096, 'x'));
  expectError(
      setupScratchStore(
          {.device = path("disk.img"), .mount_point = path("mnt"), .mkfs = path("no-mkfs")}),
      Code::kNotFound, "mkfs " + path("no-mkfs").string() + " is not an executable");
  auto text = readTextFile(path("disk.img"), 8192);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, std::string(4096, 'x'));  // untouched
}

TEST_F(ScratchStoreTest, StoreUsableWithoutRecordedFailure) {
  EXPECT_TRUE(checkStoreUsable(path("nothing-here")));
}

TEST_F(ScratchStoreTest, FreeSpaceBudgetIsTheFreeSpaceOfTheStoresFileSystem) {
  const FreeSpaceBudget budget(dir_->path());
  EXPECT_EQ(budget.describe(), dir_->path().string());
  auto available = budget.available();
  ASSERT_TRUE(available) << available.error().toString();
  auto free = freeBytes(dir_->path());
  ASSERT_TRUE(free);
  EXPECT_GT(*available, 0u);
  // Other writers share the file system: the two reads agree to within 64 MiB.
  const std::uint64_t drift = *available > *free ? *available - *free : *free - *available;
  EXPECT_LT(drift, 64u << 20);
}

TEST(StoreCapacity, BudgetOfMissingStoreIsNotFound) {
  expectError(FreeSpaceBudget("/nonexistent-cocoon-dir").available(), Code::kNotFound,
              "statvfs /nonexistent-cocoon-dir");
}

TEST(StoreCapacity, FreeBytesOfMissingDirIsNotFound) {
  expectError(freeBytes("/nonexistent-cocoon-dir"), Code::kNotFound,
              "statvfs /nonexistent-cocoon-dir");
}

}  // namespace
}  // namespace cocoon::agent::storage
