// SPDX-License-Identifier: Apache-2.0
// Hostile names and links: nothing escapes the layer root, with openat2 and with the
// O_NOFOLLOW walk used on kernels without it. The fixture checks outside() is untouched.
#include <gtest/gtest.h>

#include "image/unpack/fixture.h"
#include "support/expect.h"

namespace cocoon::image::unpack::test {
namespace {

using cocoon::test::expectError;

class EscapeTest : public UnpackTest, public ::testing::WithParamInterface<bool> {
 protected:
  UnpackOptions opts() const {
    UnpackOptions o;
    o.force_walk_resolver_for_test = GetParam();
    return o;
  }
  Result<LayerStats> overlay(const Bytes& tar) { return unpackOverlay(tar, opts()); }
  Result<LayerStats> apply(const Bytes& tar) { return applyOnto(tar, opts()); }
  // The absolute path of outside() as a symlink target.
  std::string out() const { return outside().string(); }
};

TEST_P(EscapeTest, DotDotClimbIsRefused) {
  expectError(overlay(TarBuilder().file("a/../../x", "evil").build()), Code::kInvalidArgument,
              "layer test:layer: entry 'a/../../x': name climbs above the layer root");
  expectError(overlay(TarBuilder().file("../outside/passwd", "evil").build()),
              Code::kInvalidArgument, "entry '../outside/passwd': name climbs above");
  expectError(apply(TarBuilder().file("../outside/passwd", "evil").build()), Code::kInvalidArgument,
              "entry '../outside/passwd': name climbs above");
}

TEST_P(EscapeTest, DotDotInsideTheRootIsResolved) {
  ASSERT_TRUE(overlay(TarBuilder().file("a/b/../c", "ok").build()));
  EXPECT_EQ(readAll(layer() / "a/c"), "ok");
}

TEST_P(EscapeTest, AbsoluteNamesLandInsideTheRoot) {
  ASSERT_TRUE(overlay(TarBuilder().file(out() + "/passwd", "inside").build()));
  EXPECT_EQ(readAll(layer() / outside().relative_path() / "passwd"), "inside");
}

TEST_P(EscapeTest, WriteThroughAbsoluteSymlinkStaysInRoot) {
  // The layer first mirrors the host path inside itself, so the symlink resolves there.
  const Bytes tar =
      TarBuilder().dir(out()).symlink("etc", out()).file("etc/passwd", "inside").build();
  ASSERT_TRUE(overlay(tar));
  EXPECT_EQ(readAll(layer() / outside().relative_path() / "passwd"), "inside");
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "etc"), out());
}

TEST_P(EscapeTest, WriteThroughRelativeClimbingSymlinkStaysInRoot) {
  const Bytes tar = TarBuilder()
                        .dir("a")
                        .symlink("a/up", "../../../../../../..")
                        .file("a/up/passwd", "inside")
                        .build();
  ASSERT_TRUE(overlay(tar));
  EXPECT_EQ(readAll(layer() / "passwd"), "inside");
}

TEST_P(EscapeTest, SymlinkChainToOutsideStaysInRoot) {
  const Bytes tar = TarBuilder()
                        .symlink("one", "two")
                        .symlink("two", "sub/../three")
                        .dir("sub")
                        .symlink("three", "../../" + out())
                        .dir(out())
                        .file("one/passwd", "inside")
                        .build();
  ASSERT_TRUE(overlay(tar));
  EXPECT_EQ(readAll(layer() / outside().relative_path() / "passwd"), "inside");
}

TEST_P(EscapeTest, WriteThroughDanglingSymlinkIsRefused) {
  // containerd would create the missing target directories inside the root; we refuse.
  expectError(overlay(TarBuilder().symlink("etc", out()).file("etc/passwd", "x").build()),
              Code::kInvalidArgument,
              "entry 'etc/passwd': resolving directory 'etc' in the root: No such file");
}

TEST_P(EscapeTest, FinalSymlinkIsReplacedNotFollowed) {
  const Bytes tar =
      TarBuilder().symlink("passwd", out() + "/passwd").file("passwd", "replaced").build();
  ASSERT_TRUE(overlay(tar));
  EXPECT_TRUE(
      std::filesystem::is_regular_file(std::filesystem::symlink_status(layer() / "passwd")));
  EXPECT_EQ(readAll(layer() / "passwd"), "replaced");
}

TEST_P(EscapeTest, DirectoryReplacedBySymlinkThenWrittenThroughStaysInRoot) {
  const Bytes tar = TarBuilder()
                        .dir("d")
                        .file("d/x", "first")
                        .symlink("d", out())
                        .dir(out())
                        .file("d/passwd", "inside")
                        .build();
  ASSERT_TRUE(apply(tar));
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "d"), out());
  EXPECT_EQ(readAll(layer() / outside().relative_path() / "passwd"), "inside");
}

TEST_P(EscapeTest, HardlinkToAbsoluteHostFileIsRefused) {
  expectError(overlay(TarBuilder().hardlink("pw", out() + "/passwd").build()),
              Code::kInvalidArgument,
              "entry 'pw': hardlink target '" + out() + "/passwd' is not in the layer");
  expectError(overlay(TarBuilder().hardlink("pw", "/etc/passwd").build()), Code::kInvalidArgument,
              "entry 'pw': hardlink target '/etc/passwd' is not in");
}

TEST_P(EscapeTest, HardlinkClimbingOutIsRefused) {
  expectError(overlay(TarBuilder().hardlink("x", "../x").build()), Code::kInvalidArgument,
              "entry 'x': hardlink target '../x': name climbs above the layer root");
}

TEST_P(EscapeTest, HardlinkThroughSymlinkToOutsideIsRefused) {
  const Bytes tar = TarBuilder().symlink("host", out()).hardlink("pw", "host/passwd").build();
  expectError(overlay(tar), Code::kInvalidArgument,
              "entry 'pw': hardlink target 'host/passwd' is not in the layer");
}

TEST_P(EscapeTest, HardlinkToNotYetExtractedFileIsRefused) {
  const Bytes tar = TarBuilder().hardlink("early", "late").file("late", "x").build();
  expectError(overlay(tar), Code::kInvalidArgument,
              "entry 'early': hardlink target 'late' is not in the layer (outside it or not "
              "yet extracted)");
}

TEST_P(EscapeTest, HardlinkToASymlinkLinksTheSymlinkItself) {
  const Bytes tar = TarBuilder().symlink("s", out() + "/passwd").hardlink("h", "s").build();
  ASSERT_TRUE(overlay(tar));
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "h"), out() + "/passwd");
}

TEST_P(EscapeTest, ParentThatIsAFileIsRefused) {
  expectError(overlay(TarBuilder().file("f", "x").file("f/g", "y").build()), Code::kInvalidArgument,
              "entry 'f/g': resolving directory 'f' in the root");
}

INSTANTIATE_TEST_SUITE_P(Resolvers, EscapeTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Walk" : "Openat2"; });

}  // namespace
}  // namespace cocoon::image::unpack::test
