// SPDX-License-Identifier: Apache-2.0
// RootDir (openat2 and the O_NOFOLLOW walk agree) and removeTree.
#include "image/unpack/fs/in_root.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image::unpack::fs {
namespace {

using cocoon::test::expectError;
namespace stdfs = std::filesystem;

class RootDirTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("in-root-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    temp_.emplace(std::move(*dir));
    stdfs::create_directories(root() / "a/b");
    stdfs::create_directories(temp_->path() / "outside");
  }
  stdfs::path root() const { return temp_->path() / "root"; }

  // The directory an fd names, relative to the root ("" for the root itself).
  std::string whereIs(const UniqueFd& fd) const {
    struct stat st {};
    EXPECT_EQ(::fstat(fd.get(), &st), 0);
    for (const auto& e : stdfs::recursive_directory_iterator(temp_->path())) {
      struct stat other {};
      if (::lstat(e.path().c_str(), &other) == 0 && other.st_ino == st.st_ino) {
        return stdfs::relative(e.path(), root()).string();
      }
    }
    return "<not found>";
  }

  Result<UniqueFd> open(std::vector<std::string> components, bool create = false) {
    Result<RootDir> dir = RootDir::open(root(), GetParam());
    EXPECT_TRUE(dir);
    return dir->openDir(components, create);
  }

  std::optional<TempDir> temp_;
};

TEST_P(RootDirTest, AbsoluteAndClimbingSymlinksResolveInsideTheRoot) {
  stdfs::create_symlink(temp_->path() / "outside", root() / "abs");
  stdfs::create_symlink("../../../../..", root() / "a/up");
  stdfs::create_symlink("/a/b", root() / "ab");
  Result<UniqueFd> fd = open({"a", "up", "a", "b"});
  ASSERT_TRUE(fd) << fd.error().toString();
  EXPECT_EQ(whereIs(*fd), "a/b");
  ASSERT_TRUE(open({"ab"}));
  EXPECT_EQ(whereIs(*open({"ab"})), "a/b");
  // The symlink's target does not exist inside the root.
  expectError(open({"abs"}), Code::kNotFound, "resolving directory 'abs' in the root");
}

TEST_P(RootDirTest, CreatesMissingParentsInsideTheRoot) {
  stdfs::create_symlink("/a", root() / "link");
  Result<UniqueFd> fd = open({"link", "new", "deeper"}, true);
  ASSERT_TRUE(fd) << fd.error().toString();
  EXPECT_TRUE(stdfs::is_directory(root() / "a/new/deeper"));
}

TEST_P(RootDirTest, DanglingSymlinkParentIsNotFound) {
  stdfs::create_symlink("/nowhere", root() / "dangling");
  expectError(open({"dangling", "x"}, true), Code::kNotFound, "'dangling'");
}

TEST_P(RootDirTest, SymlinkLoopIsInvalidArgument) {
  stdfs::create_symlink("loop2", root() / "loop1");
  stdfs::create_symlink("loop1", root() / "loop2");
  expectError(open({"loop1"}), Code::kInvalidArgument, "Too many levels of symbolic links");
}

TEST_P(RootDirTest, FileInThePathIsNotFound) {
  std::ofstream(root() / "file") << "x";
  expectError(open({"file", "x"}), Code::kNotFound, "Not a directory");
}

INSTANTIATE_TEST_SUITE_P(Resolvers, RootDirTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Walk" : "Openat2"; });

TEST(RemoveTree, RemovesDeepTreesWithoutFollowingSymlinks) {
  auto temp = TempDir::create("remove-tree");
  ASSERT_TRUE(temp);
  const stdfs::path victim = temp->path() / "victim";
  stdfs::create_directories(temp->path() / "keep");
  std::ofstream(temp->path() / "keep/file") << "keep";
  // Deeper than the descriptor limit set below, were one held open per level.
  constexpr int kDepth = 200;
  ASSERT_EQ(::mkdir(victim.c_str(), 0755), 0);
  {
    int fd = ::open(victim.c_str(), O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < kDepth; ++i) {
      ASSERT_EQ(::mkdirat(fd, "d", 0755), 0);
      const int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY);
      ::symlinkat((temp->path() / "keep").c_str(), fd, "link");
      ::close(fd);
      fd = next;
    }
    ::close(fd);
  }
  UniqueFd parent(::open(temp->path().c_str(), O_RDONLY | O_DIRECTORY));
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const Status removed = removeTree(parent.get(), "victim");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(removed) << removed.error().toString();
  EXPECT_FALSE(stdfs::exists(victim));
  EXPECT_EQ(stdfs::directory_iterator(temp->path() / "keep")->path().filename(), "file");
  EXPECT_TRUE(removeTree(parent.get(), "victim"));  // missing: nothing to do
}

}  // namespace
}  // namespace cocoon::image::unpack::fs
