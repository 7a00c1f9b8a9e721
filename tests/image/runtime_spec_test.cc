// SPDX-License-Identifier: Apache-2.0
#include "image/runtime_spec.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image {
namespace {

using test::expectError;

class ImageUser : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("image-user");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    rootfs_ = dir_->path() / "rootfs";
    std::filesystem::create_directories(rootfs_ / "etc");
    write("etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "# a comment\n"
          "broken line\n"
          "www:x:33:33::/var/www:/usr/sbin/nologin\n"
          "app:x:1000:1000::/home/app:/bin/sh\n");
    write("etc/group",
          "root:x:0:\n"
          "www:x:33:\n"
          "app:x:1000:\n"
          "audio:x:29:app,www\n"
          "video:x:44:www\n");
  }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(rootfs_ / rel) << text;
  }
  std::optional<TempDir> dir_;
  std::filesystem::path rootfs_;
};

TEST_F(ImageUser, ResolvesNamesIdsAndGroupsAsRuncDoes) {
  test::expectValue(resolveImageUser("", rootfs_), ProcessUser{0, 0, {}});
  test::expectValue(resolveImageUser("app", rootfs_), ProcessUser{1000, 1000, {29}});
  test::expectValue(resolveImageUser("www", rootfs_), ProcessUser{33, 33, {29, 44}});
  test::expectValue(resolveImageUser("1000", rootfs_), ProcessUser{1000, 1000, {29}});
  test::expectValue(resolveImageUser("4242", rootfs_), ProcessUser{4242, 0, {}});
  test::expectValue(resolveImageUser("4242:7", rootfs_), ProcessUser{4242, 7, {}});
  test::expectValue(resolveImageUser("app:video", rootfs_), ProcessUser{1000, 44, {29}});
}

TEST_F(ImageUser, NamesWhatIsMissingOrMalformed) {
  expectError(resolveImageUser("nobody", rootfs_), Code::kNotFound, "no user 'nobody'");
  expectError(resolveImageUser("app:wheel", rootfs_), Code::kNotFound, "no group 'wheel'");
  expectError(resolveImageUser("app:", rootfs_), Code::kInvalidArgument, "malformed");
  expectError(resolveImageUser("4294967295", rootfs_), Code::kInvalidArgument, "out of range");
}

TEST_F(ImageUser, PasswdSymlinkCannotLeaveTheRootfs) {
  // An image whose /etc/passwd points at the host's: resolved inside the rootfs, the link
  // lands on <rootfs>/etc/shadow-like paths, never on the host file.
  std::filesystem::remove(rootfs_ / "etc/passwd");
  std::filesystem::create_symlink("../../../../../../../etc/passwd", rootfs_ / "etc/passwd");
  // The link resolves to <rootfs>/etc/passwd itself (a loop): no user "root" is found
  // from the host's file.
  auto r = resolveImageUser("root", rootfs_);
  ASSERT_FALSE(r.has_value());
  std::filesystem::remove(rootfs_ / "etc/passwd");
  std::filesystem::create_symlink("/outside/passwd", rootfs_ / "etc/passwd");
  std::filesystem::create_directories(rootfs_ / "outside");
  write("outside/passwd", "inside:x:77:77::/:/bin/sh\n");
  test::expectValue(resolveImageUser("inside", rootfs_), ProcessUser{77, 77, {}});
}

oci::ImageConfig busyboxConfig() {
  oci::ImageConfig c;
  c.os = "linux";
  c.architecture = "amd64";
  c.config.cmd = {"sh"};
  return c;
}

TEST(RuntimeSpec, BuildsArgsEnvCwdAndUser) {
  auto c = busyboxConfig();
  c.config.entrypoint = {"/bin/entry", "-x"};
  c.config.cmd = {"serve"};
  c.config.env = {"PATH=/bin", "A=b"};
  c.config.working_dir = "/srv";
  auto spec = makeRuntimeSpec(c, ProcessUser{1000, 1000, {29}}, {.hostname = "box"});
  ASSERT_TRUE(spec) << spec.error().toString();
  EXPECT_EQ((*spec)["ociVersion"], "1.0.2");
  EXPECT_EQ((*spec)["process"]["args"], json::Json({"/bin/entry", "-x", "serve"}));
  EXPECT_EQ((*spec)["process"]["env"], json::Json({"PATH=/bin", "A=b"}));
  EXPECT_EQ((*spec)["process"]["cwd"], "/srv");
  EXPECT_EQ((*spec)["process"]["user"]["uid"], 1000);
  EXPECT_EQ((*spec)["process"]["user"]["additionalGids"], json::Json({29}));
  EXPECT_EQ((*spec)["root"]["path"], "rootfs");
  EXPECT_EQ((*spec)["hostname"], "box");
  EXPECT_EQ((*spec)["linux"]["namespaces"].size(), 5u);
}

TEST(RuntimeSpec, AddsDefaultPathAndRootCwd) {
  auto spec = makeRuntimeSpec(busyboxConfig(), ProcessUser{});
  ASSERT_TRUE(spec);
  EXPECT_EQ((*spec)["process"]["env"][0],
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ((*spec)["process"]["cwd"], "/");
  EXPECT_FALSE(spec->contains("hostname"));
}

TEST(RuntimeSpec, RefusesImageWithNothingToRunOrRelativeWorkdir) {
  auto c = busyboxConfig();
  c.config.cmd.clear();
  expectError(makeRuntimeSpec(c, ProcessUser{}), Code::kInvalidArgument, "nothing to run");
  c = busyboxConfig();
  c.config.working_dir = "srv";
  expectError(makeRuntimeSpec(c, ProcessUser{}), Code::kInvalidArgument, "not an absolute");
}

}  // namespace
}  // namespace cocoon::image
