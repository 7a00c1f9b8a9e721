// SPDX-License-Identifier: Apache-2.0
#include "common/files.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <set>

#include "common/sys_error.h"

namespace cocoon {
namespace {

namespace fs = std::filesystem;

std::set<std::string> listDir(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

void writePlain(const fs::path& path, std::string_view content) {
  std::ofstream(path, std::ios::binary) << content;
}

mode_t modeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("files-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
  }
  const fs::path& dir() const { return dir_->path(); }

  std::optional<TempDir> dir_;
};

TEST_F(FilesTest, WriteFileAtomicCreatesFileAndLeavesNoTempFiles) {
  const fs::path target = dir() / "config.toml";
  ASSERT_TRUE(writeFileAtomic(target, asBytes("hello")));
  EXPECT_EQ(*readTextFile(target, 100), "hello");
  EXPECT_EQ(listDir(dir()), std::set<std::string>{"config.toml"});
}

TEST_F(FilesTest, WriteFileAtomicReplacesExistingFile) {
  const fs::path target = dir() / "state.json";
  writePlain(target, "old content that is longer than the new one");
  ASSERT_TRUE(writeFileAtomic(target, asBytes("new")));
  EXPECT_EQ(*readTextFile(target, 100), "new");
  EXPECT_EQ(listDir(dir()), std::set<std::string>{"state.json"});
}

TEST_F(FilesTest, WriteFileAtomicHonoursModeWhateverTheUmask) {
  const mode_t old_umask = ::umask(077);
  ASSERT_TRUE(writeFileAtomic(dir() / "a", asBytes("x"), 0644));
  ASSERT_TRUE(writeFileAtomic(dir() / "b", asBytes("x"), 0600));
  ::umask(old_umask);
  EXPECT_EQ(modeOf(dir() / "a"), 0644u);
  EXPECT_EQ(modeOf(dir() / "b"), 0600u);
  // Replacing a file gives it the new mode, not the old one.
  ASSERT_TRUE(writeFileAtomic(dir() / "a", asBytes("y"), 0640));
  EXPECT_EQ(modeOf(dir() / "a"), 0640u);
}

TEST_F(FilesTest, WriteFileAtomicWritesLargeData) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 31 % 251);
  }
  ASSERT_TRUE(writeFileAtomic(dir() / "big", asBytes(big)));
  EXPECT_EQ(*readTextFile(dir() / "big", big.size()), big);
}

TEST_F(FilesTest, WriteFileAtomicInMissingDirectoryFailsAndLeavesNothing) {
  const fs::path target = dir() / "missing" / "file";
  auto status = writeFileAtomic(target, asBytes("x"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::kNotFound);
  EXPECT_EQ(status.error().message, "creating a temp file in " + (dir() / "missing").string() +
                                        " for " + target.string() + ": No such file or directory");
  EXPECT_TRUE(listDir(dir()).empty());
}

TEST_F(FilesTest, WriteFileAtomicFailingRenameRemovesTempAndKeepsTarget) {
  // The temp file is written, then rename onto a non-empty directory fails (EISDIR).
  const fs::path target = dir() / "victim";
  fs::create_directory(target);
  writePlain(target / "keep", "precious");
  auto status = writeFileAtomic(target, asBytes("x"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::kInvalidArgument);
  EXPECT_NE(status.error().message.find("to " + target.string() + ": Is a directory"),
            std::string::npos)
      << status.error().message;
  EXPECT_EQ(listDir(dir()), std::set<std::string>{"victim"});
  EXPECT_EQ(*readTextFile(target / "keep", 100), "precious");
}

TEST_F(FilesTest, WriteFileAtomicRejectsPathWithoutFileName) {
  auto status = writeFileAtomic(dir() / "", asBytes("x"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(listDir(dir()).empty());
}

TEST_F(FilesTest, WriteFileAtomicHandlesLongNames) {
  const std::string name(250, 'n');
  ASSERT_TRUE(writeFileAtomic(dir() / name, asBytes("x")));
  EXPECT_EQ(listDir(dir()), std::set<std::string>{name});
}

TEST_F(FilesTest, ReadFileReturnsContentUpToAndIncludingTheCap) {
  writePlain(dir() / "f", std::string("a\0b", 3));
  EXPECT_EQ(*readFile(dir() / "f", 3), (Bytes{'a', 0, 'b'}));
  writePlain(dir() / "empty", "");
  EXPECT_TRUE(readFile(dir() / "empty", 0)->empty());
}

TEST_F(FilesTest, ReadFileOverCapIsResourceExhausted) {
  writePlain(dir() / "f", "abcd");
  auto r = readFile(dir() / "f", 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kResourceExhausted);
  EXPECT_EQ(r.error().message,
            "reading " + (dir() / "f").string() + ": size 4 exceeds the limit of 3 bytes");
}

TEST(ReadFile, CapAppliesToFilesWhoseStatSizeIsZero) {
  // /proc files report size 0; the cap must hold on what is actually read.
  auto small = readFile("/proc/self/status", 10);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, Code::kResourceExhausted);
  EXPECT_EQ(small.error().message, "reading /proc/self/status: larger than the limit of 10 bytes");
  auto whole = readTextFile("/proc/self/status", 1 << 20);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->rfind("Name:", 0), 0u);
}

TEST_F(FilesTest, ReadFileMissingIsNotFound) {
  auto r = readFile(dir() / "nope", 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
  EXPECT_EQ(r.error().message,
            "reading " + (dir() / "nope").string() + ": No such file or directory");
}

TEST_F(FilesTest, ReadFileOfDirectoryIsInvalidArgument) {
  auto r = readTextFile(dir(), 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().message, "reading " + dir().string() + ": is a directory");
}

TEST(TempDir, CreatesPrivateDirectoryAndRemovesItRecursively) {
  fs::path path;
  {
    auto dir = TempDir::create("cocoon-test");
    ASSERT_TRUE(dir);
    path = dir->path();
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_EQ(modeOf(path), 0700u);
    EXPECT_EQ(path.filename().string().rfind("cocoon-test-", 0), 0u);
    fs::create_directories(path / "a" / "b");
    writePlain(path / "a" / "b" / "f", "x");
    fs::create_symlink("/", path / "a" / "root-link");
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists("/tmp"));
}

TEST(TempDir, MoveTransfersOwnership) {
  auto first = TempDir::create();
  ASSERT_TRUE(first);
  const fs::path path = first->path();
  {
    TempDir moved = std::move(*first);
    EXPECT_EQ(moved.path(), path);
    EXPECT_TRUE(first->path().empty());
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDir, RejectsPrefixWithSlash) {
  auto dir = TempDir::create("../escape");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, Code::kInvalidArgument);
}

TEST(SysError, MapsErrnoToCanonicalCodes) {
  EXPECT_EQ(codeFromErrno(ENOENT), Code::kNotFound);
  EXPECT_EQ(codeFromErrno(EACCES), Code::kPermissionDenied);
  EXPECT_EQ(codeFromErrno(EEXIST), Code::kAlreadyExists);
  EXPECT_EQ(codeFromErrno(ENOSPC), Code::kResourceExhausted);
  EXPECT_EQ(codeFromErrno(EISDIR), Code::kInvalidArgument);
  EXPECT_EQ(codeFromErrno(EIO), Code::kInternal);
  const Error e = errnoError(EACCES, "opening /x");
  EXPECT_EQ(e.toString(), "PERMISSION_DENIED: opening /x: Permission denied");
}

}  // namespace
}  // namespace cocoon
