// SPDX-License-Identifier: Apache-2.0
// OCI whiteouts and opaque directories in both modes (OCI image spec, layer.md).
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <gtest/gtest.h>

#include "image/unpack/fixture.h"
#include "support/expect.h"

namespace cocoon::image::unpack::test {
namespace {

using cocoon::test::expectError;
namespace fs = std::filesystem;

std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> names;
  for (const auto& [path, detail] : snapshotTree(root)) {
    names.insert(path);
  }
  return names;
}

TEST_F(UnpackTest, OverlayWhiteoutBecomesZeroZeroCharDevice) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder().dir("etc").file("etc/.wh.motd", "").owner(7, 8).build();
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->whiteouts, 1u);
  struct stat st {};
  ASSERT_EQ(::lstat((layer() / "etc/motd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(layer() / "etc/.wh.motd")));
}

TEST_F(UnpackTest, OverlayOpaqueMarkerBecomesXattr) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder()
                        .dir("var/cache")
                        .file("var/cache/.wh..wh..opq", "")
                        .file("var/cache/new", "n")
                        .build();
  ASSERT_TRUE(unpackOverlay(tar));
  char value[4] = {};
  ASSERT_EQ(
      ::lgetxattr((layer() / "var/cache").c_str(), "trusted.overlay.opaque", value, sizeof(value)),
      1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_EQ(tree(layer()), (std::set<std::string>{"var", "var/cache", "var/cache/new"}));
}

TEST_F(UnpackTest, OverlayWhiteoutsHideLowerFilesWhenMounted) {
  COCOON_REQUIRE_ROOT();
  const fs::path lower = temp() / "lower";
  {
    MemorySource src(
        TarBuilder().file("keep", "k").file("gone", "g").file("cache/old", "o").build());
    ASSERT_TRUE(unpackLayer(src, {UnpackMode::kOverlayLayer, lower, "lower"}, {}));
  }
  ASSERT_TRUE(unpackOverlay(TarBuilder()
                                .file(".wh.gone", "")
                                .dir("cache")
                                .file("cache/.wh..wh..opq", "")
                                .file("cache/new", "n")
                                .build()));
  const fs::path merged = temp() / "merged";
  fs::create_directories(merged);
  const std::string data = "lowerdir=" + layer().string() + ":" + lower.string();
  if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) != 0) {
    GTEST_SKIP() << "cannot mount overlayfs here: " << std::strerror(errno);
  }
  const std::set<std::string> seen = tree(merged);
  ::umount2(merged.c_str(), MNT_DETACH);
  EXPECT_EQ(seen, (std::set<std::string>{"keep", "cache", "cache/new"}));
}

TEST_F(UnpackTest, ApplyWhiteoutDeletesFilesAndDirectoriesRecursively) {
  ASSERT_TRUE(applyOnto(TarBuilder()
                            .file("etc/motd", "m")
                            .file("usr/share/doc/a/README", "r")
                            .file("usr/share/doc/b", "b")
                            .symlink("usr/share/link", outside().string())
                            .build()));
  Result<LayerStats> stats = applyOnto(TarBuilder()
                                           .file("etc/.wh.motd", "")
                                           .file("usr/share/.wh.doc", "")
                                           .file("usr/share/.wh.link", "")
                                           .file("usr/.wh.never-existed", "")
                                           .file("no/such/.wh.dir", "")
                                           .build());
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->whiteouts, 5u);
  EXPECT_EQ(tree(layer()), (std::set<std::string>{"etc", "usr", "usr/share"}));
}

TEST_F(UnpackTest, ApplyOpaqueKeepsThisLayersEntriesOnEitherSideOfTheMarker) {
  ASSERT_TRUE(applyOnto(TarBuilder()
                            .file("d/lower1", "1")
                            .file("d/sub/lower2", "2")
                            .file("d/kept-dir/lower3", "3")
                            .file("other", "o")
                            .build()));
  ASSERT_TRUE(applyOnto(TarBuilder()
                            .dir("d")
                            .file("d/before", "b")
                            .file("d/kept-dir/mine", "m")
                            .file("d/.wh..wh..opq", "")
                            .file("d/after", "a")
                            .build()));
  EXPECT_EQ(tree(layer()), (std::set<std::string>{"d", "d/before", "d/after", "d/kept-dir",
                                                  "d/kept-dir/mine", "other"}));
}

TEST_F(UnpackTest, ApplyReplacesAndMerges) {
  ASSERT_TRUE(applyOnto(TarBuilder()
                            .file("f", "old")
                            .file("dir/a", "a")
                            .file("was-dir/x", "x")
                            .symlink("was-link", "f")
                            .build()));
  ASSERT_TRUE(applyOnto(TarBuilder()
                            .file("f", "new")
                            .dir("dir", 0750)
                            .file("dir/b", "b")
                            .file("was-dir", "now a file")
                            .dir("was-link")
                            .build()));
  EXPECT_EQ(readAll(layer() / "f"), "new");
  EXPECT_EQ(tree(layer() / "dir"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(fs::status(layer() / "dir").permissions(), static_cast<fs::perms>(0750));
  EXPECT_EQ(readAll(layer() / "was-dir"), "now a file");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(layer() / "was-link")));
}

TEST_F(UnpackTest, AufsMetadataIsSkipped) {
  Result<LayerStats> stats =
      unpackOverlay(TarBuilder().dir(".wh..wh.plnk").file(".wh..wh.aufs", "").build());
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->skipped, 2u);
  EXPECT_TRUE(fs::is_empty(layer()));
}

TEST_F(UnpackTest, WhiteoutUsedAsDirectoryIsRefused) {
  expectError(unpackOverlay(TarBuilder().file(".wh.x/y", "").build()), Code::kInvalidArgument,
              "entry '.wh.x/y': whiteout '.wh.x' used as a directory");
  expectError(applyOnto(TarBuilder().file("a/.wh...", "").build()), Code::kInvalidArgument,
              "entry 'a/.wh...': whiteout of '..'");
}

}  // namespace
}  // namespace cocoon::image::unpack::test
