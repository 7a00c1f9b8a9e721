// SPDX-License-Identifier: Apache-2.0
// unpackLayer: entry types, metadata, sparse files, long names, stream ends and limits.
#include "image/unpack/unpack.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <gtest/gtest.h>

#include "image/unpack/fixture.h"
#include "support/expect.h"

namespace cocoon::image::unpack::test {
namespace {

using cocoon::test::expectError;

struct stat lstatOf(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

std::string xattrOf(const std::filesystem::path& p, const char* name) {
  std::string value(256, '\0');
  const ssize_t n = ::lgetxattr(p.c_str(), name, value.data(), value.size());
  if (n < 0) {
    return "<none>";
  }
  value.resize(static_cast<std::size_t>(n));
  return value;
}

std::set<std::string> listDir(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

TEST_F(UnpackTest, ExtractsFilesDirectoriesAndSymlinks) {
  const Bytes tar = TarBuilder()
                        .dir("etc", 0755)
                        .file("etc/hostname", "cocoon\n", 0640)
                        .mtime(1'600'000'000)
                        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
                        .file("usr/bin/tool", "#!/bin/sh\n", 0755)
                        .build();
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(*stats, (LayerStats{.entries = 4, .bytes = 17}));
  EXPECT_EQ(readAll(layer() / "etc/hostname"), "cocoon\n");
  EXPECT_EQ(lstatOf(layer() / "etc/hostname").st_mode, S_IFREG | 0640);
  EXPECT_EQ(lstatOf(layer() / "etc/hostname").st_mtime, 1'600'000'000);
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "etc/localtime"), "/usr/share/zoneinfo/UTC");
  // Implied parents are created; the layer root gets the snapshotter's 0755.
  EXPECT_TRUE(S_ISDIR(lstatOf(layer() / "usr/bin").st_mode));
  EXPECT_EQ(lstatOf(layer()).st_mode, S_IFDIR | 0755);
  EXPECT_EQ(listDir(temp()), (std::set<std::string>{"layer", "outside"}));
}

TEST_F(UnpackTest, AppliesDirectoryModeAndTimeAfterItsContent) {
  const Bytes tar =
      TarBuilder().dir("ro", 0555).mtime(1'500'000'000).file("ro/inside", "x").build();
  ASSERT_TRUE(unpackOverlay(tar));
  EXPECT_EQ(lstatOf(layer() / "ro").st_mode, S_IFDIR | 0555);
  EXPECT_EQ(lstatOf(layer() / "ro").st_mtime, 1'500'000'000);
  EXPECT_EQ(readAll(layer() / "ro/inside"), "x");
}

TEST_F(UnpackTest, KeepsSetuidSetgidAndStickyBits) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder()
                        .file("bin/su", "elf", 04755)
                        .owner(0, 0)
                        .file("bin/wall", "elf", 02755)
                        .owner(0, 5)
                        .dir("tmp", 01777)
                        .build();
  ASSERT_TRUE(unpackOverlay(tar));
  EXPECT_EQ(lstatOf(layer() / "bin/su").st_mode, S_IFREG | 04755);
  EXPECT_EQ(lstatOf(layer() / "bin/wall").st_mode, S_IFREG | 02755);
  EXPECT_EQ(lstatOf(layer() / "bin/wall").st_gid, 5u);
  EXPECT_EQ(lstatOf(layer() / "tmp").st_mode, S_IFDIR | 01777);
}

TEST_F(UnpackTest, OwnersPreservedMappedOrIgnored) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder().file("f", "x").owner(1000, 1001).build();
  ASSERT_TRUE(unpackOverlay(tar));
  EXPECT_EQ(lstatOf(layer() / "f").st_uid, 1000u);
  EXPECT_EQ(lstatOf(layer() / "f").st_gid, 1001u);
  std::filesystem::remove_all(layer());

  UnpackOptions mapped;
  mapped.uid_map = {{.archive_id = 0, .host_id = 100000, .count = 65536}};
  mapped.gid_map = {{.archive_id = 0, .host_id = 200000, .count = 65536}};
  ASSERT_TRUE(unpackOverlay(tar, mapped));
  EXPECT_EQ(lstatOf(layer() / "f").st_uid, 101000u);
  EXPECT_EQ(lstatOf(layer() / "f").st_gid, 201001u);
  std::filesystem::remove_all(layer());

  UnpackOptions ignored;
  ignored.owners = OwnerPolicy::kIgnore;
  ASSERT_TRUE(unpackOverlay(tar, ignored));
  EXPECT_EQ(lstatOf(layer() / "f").st_uid, 0u);
  std::filesystem::remove_all(layer());

  UnpackOptions narrow;
  narrow.uid_map = {{.archive_id = 0, .host_id = 100000, .count = 1000}};
  narrow.gid_map = narrow.uid_map;
  expectError(unpackOverlay(tar, narrow), Code::kInvalidArgument,
              "layer test:layer: entry 'f': owner 1000:1001 outside the id map");
}

TEST_F(UnpackTest, HardlinkSharesTheInode) {
  const Bytes tar = TarBuilder().file("a", "shared").hardlink("b", "a").build();
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->hardlinks, 1u);
  EXPECT_EQ(lstatOf(layer() / "a").st_ino, lstatOf(layer() / "b").st_ino);
  EXPECT_EQ(lstatOf(layer() / "a").st_nlink, 2u);
}

TEST_F(UnpackTest, SecurityCapabilityAndUserXattrsRoundTrip) {
  COCOON_REQUIRE_ROOT();
  // VFS_CAP_REVISION_2 cap_net_bind_service+ep, as `setcap cap_net_bind_service+ep` stores
  // it (linux/capability.h: magic 0x02000001 little-endian, permitted bit 10).
  const std::string cap(
      "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00",
      20);
  const Bytes tar = TarBuilder()
                        .file("bin/ping", "elf", 0755)
                        .xattr("security.capability", cap)
                        .xattr("user.origin", "cocoon")
                        .dir("d")
                        .xattr("user.kind", "dir")
                        .build();
  ASSERT_TRUE(unpackOverlay(tar));
  EXPECT_EQ(xattrOf(layer() / "bin/ping", "security.capability"), cap);
  EXPECT_EQ(xattrOf(layer() / "bin/ping", "user.origin"), "cocoon");
  EXPECT_EQ(xattrOf(layer() / "d", "user.kind"), "dir");
}

TEST_F(UnpackTest, OverlayXattrsFromTheArchiveAreDropped) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder().dir("d").xattr("trusted.overlay.redirect", "/etc").build();
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->skipped_xattrs, 1u);
  EXPECT_EQ(xattrOf(layer() / "d", "trusted.overlay.redirect"), "<none>");
}

TEST_F(UnpackTest, OtherXattrsSkippedOrRefusedPerOption) {
  const Bytes tar = TarBuilder().file("f", "x").xattr("security.ima", "sig").build();
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->skipped_xattrs, 1u);
  std::filesystem::remove_all(layer());

  UnpackOptions strict;
  strict.other_xattrs = Unsupported::kFail;
  expectError(unpackOverlay(tar, strict), Code::kUnimplemented,
              "entry 'f': xattr security.ima is not supported");
}

TEST_F(UnpackTest, DevicesAndFifosCreatedWhenPrivileged) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = TarBuilder().charDevice("dev/null", 1, 3).fifo("run/pipe").build();
  ASSERT_TRUE(unpackOverlay(tar));
  const struct stat null = lstatOf(layer() / "dev/null");
  EXPECT_EQ(null.st_mode, S_IFCHR | 0666);
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(lstatOf(layer() / "run/pipe").st_mode, S_IFIFO | 0620);
}

TEST_F(UnpackTest, DevicesSkippedOrRefusedWhenUnprivileged) {
  const Bytes tar = TarBuilder().charDevice("dev/null", 1, 3).fifo("pipe").build();
  UnpackOptions skip;
  skip.privileged = false;
  skip.devices_when_unprivileged = Unsupported::kSkip;
  Result<LayerStats> stats = unpackOverlay(tar, skip);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->skipped, 1u);
  EXPECT_FALSE(std::filesystem::exists(layer() / "dev/null"));
  EXPECT_TRUE(std::filesystem::is_fifo(layer() / "pipe"));
  std::filesystem::remove_all(layer());

  UnpackOptions refuse;
  refuse.privileged = false;
  expectError(unpackOverlay(tar, refuse), Code::kPermissionDenied,
              "layer test:layer: entry 'dev/null': creating device 1:3 needs privilege");
}

TEST_F(UnpackTest, SparseFileKeepsItsHoles) {
  constexpr std::int64_t kSize = 8 << 20;
  const Bytes tar =
      TarBuilder()
          .sparseFile("var/log/lastlog", kSize,
                      {{0, std::string(4096, 'a')}, {kSize - 4096, std::string(4096, 'z')}})
          .build();
  ASSERT_LT(tar.size(), 64u * 1024);  // the archive itself stores no holes
  ASSERT_TRUE(unpackOverlay(tar));
  const struct stat st = lstatOf(layer() / "var/log/lastlog");
  EXPECT_EQ(st.st_size, kSize);
  EXPECT_LT(st.st_blocks * 512, kSize / 4);
  const std::string content = readAll(layer() / "var/log/lastlog");
  EXPECT_EQ(content.substr(0, 4096), std::string(4096, 'a'));
  EXPECT_EQ(content.substr(4096, 4096), std::string(4096, '\0'));
  EXPECT_EQ(content.substr(kSize - 4096), std::string(4096, 'z'));
}

TEST_F(UnpackTest, LongNamesAndLinksInPaxAndGnuFormats) {
  const std::string deep =
      std::string(120, 'd') + "/" + std::string(120, 'e') + "/" + std::string(100, 'f');
  const std::string target = "/" + std::string(200, 't');
  for (auto format : {TarBuilder::Format::kPax, TarBuilder::Format::kGnu}) {
    const Bytes tar =
        TarBuilder(format).file(deep, "long").symlink("l", target).hardlink("h", deep).build();
    Result<LayerStats> stats = unpackOverlay(tar);
    ASSERT_TRUE(stats) << stats.error().toString();
    EXPECT_EQ(readAll(layer() / deep), "long");
    EXPECT_EQ(std::filesystem::read_symlink(layer() / "l"), target);
    EXPECT_EQ(readAll(layer() / "h"), "long");
    std::filesystem::remove_all(layer());
  }
}

TEST_F(UnpackTest, KeepsNonAsciiNamesAsStored) {
  // ca-certificates ships such names; pax stores them as UTF-8.
  const std::string name =
      "NetLock_Arany_=Class_Gold=_F\xC5\x91tan\xC3\xBAs\xC3\xADtv\xC3\xA1ny.crt";
  ASSERT_TRUE(unpackOverlay(TarBuilder().file(name, "pem").build()));
  EXPECT_EQ(readAll(layer() / name), "pem");
}

TEST_F(UnpackTest, AcceptsArchiveWithoutEndBlocks) {
  const Bytes tar = TarBuilder().file("a", "1").file("b", "2").build(/*end_blocks=*/false);
  Result<LayerStats> stats = unpackOverlay(tar);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->entries, 2u);
  EXPECT_EQ(readAll(layer() / "b"), "2");
}

TEST_F(UnpackTest, AcceptsEmptyStreamAndEndBlocksOnly) {
  ASSERT_TRUE(unpackOverlay({}));
  EXPECT_TRUE(std::filesystem::is_empty(layer()));
  std::filesystem::remove_all(layer());
  ASSERT_TRUE(unpackOverlay(Bytes(1024, 0)));
}

TEST_F(UnpackTest, TruncatedInsideAnEntryIsDataLossNamingIt) {
  Bytes tar = TarBuilder().file("ok", "fine").file("big", std::string(5000, 'x')).build();
  tar.resize(512 * 3 + 2048);  // header "ok", its data, header "big", 2 KiB of 5000
  expectError(unpackOverlay(tar), Code::kDataLoss, "layer test:layer: entry 'big': ");
  EXPECT_EQ(listDir(temp()), (std::set<std::string>{"outside"}));
}

TEST_F(UnpackTest, TruncatedHeaderIsDataLoss) {
  Bytes tar = TarBuilder().file("ok", "fine").file("next", "x").build();
  tar.resize(512 * 2 + 100);
  expectError(unpackOverlay(tar), Code::kDataLoss, "layer test:layer: after entry 'ok': ");
}

TEST_F(UnpackTest, RejectsInputThatIsNotTar) {
  const Bytes gzip = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  expectError(unpackOverlay(gzip), Code::kInvalidArgument,
              "layer test:layer: at the start of the archive: ");
}

TEST_F(UnpackTest, RejectsDamagedHeaderInsteadOfScanningPastIt) {
  Bytes tar = TarBuilder().file("a", "1").file("b", "2").file("c", "3").build();
  tar[1024 + 148] ^= 0x01;  // checksum field of the second header
  expectError(unpackOverlay(tar), Code::kInvalidArgument, "after entry 'a': ");
}

TEST_F(UnpackTest, PassesSourceErrorsThroughAndReadsToTheEnd) {
  Bytes tar = TarBuilder().file("a", "1").build();
  tar.resize(tar.size() + 10240, 0);  // padding after the end blocks, as docker writes
  MemorySource source(tar, 4096, Error(Code::kDataLoss, "digest mismatch"));
  expectError(unpackLayer(source, {UnpackMode::kOverlayLayer, layer(), "sha256:abcd"}, {}),
              Code::kDataLoss, "layer sha256:abcd: after the end of the archive: digest mismatch");
  EXPECT_EQ(source.consumed(), tar.size());
  EXPECT_FALSE(std::filesystem::exists(layer()));
}

TEST_F(UnpackTest, LimitsNameTheEntry) {
  UnpackOptions few;
  few.max_entries = 2;
  expectError(unpackOverlay(TarBuilder().file("a", "").file("b", "").file("c", "").build(), few),
              Code::kResourceExhausted, "entry 'c': the layer has more than 2 entries");

  UnpackOptions short_names;
  short_names.max_path_length = 10;
  expectError(unpackOverlay(TarBuilder().file("0123456789x", "").build(), short_names),
              Code::kResourceExhausted, "entry '0123456789x': name or link target of 11 bytes");
  expectError(unpackOverlay(TarBuilder().symlink("s", "0123456789x").build(), short_names),
              Code::kResourceExhausted, "entry 's': name or link target of 11 bytes");

  UnpackOptions small;
  small.max_total_bytes = 100;
  expectError(
      unpackOverlay(
          TarBuilder().file("a", std::string(60, 'a')).file("b", std::string(60, 'b')).build(),
          small),
      Code::kResourceExhausted, "entry 'b': file of 60 bytes takes the layer over");

  UnpackOptions tiny_xattr;
  tiny_xattr.max_xattr_size = 4;
  expectError(
      unpackOverlay(TarBuilder().file("f", "").xattr("user.x", "12345").build(), tiny_xattr),
      Code::kResourceExhausted, "entry 'f': xattr user.x of 5 bytes exceeds the limit of 4");
  EXPECT_EQ(listDir(temp()), (std::set<std::string>{"outside"}));
}

TEST_F(UnpackTest, FailedLayerLeavesNothingBehind) {
  std::filesystem::create_directories(temp() / "store");
  std::ofstream(temp() / "store" / "other") << "keep";
  const auto before = snapshotTree(temp() / "store");
  const Bytes tar = TarBuilder()
                        .dir("a")
                        .file("a/b", std::string(100000, 'b'))
                        .dir("a/c", 0500)
                        .file("a/c/d", "d")
                        .file("../escape", "x")
                        .build();
  MemorySource source(tar);
  expectError(
      unpackLayer(source, {UnpackMode::kOverlayLayer, temp() / "store" / "sha256-1", "l1"}, {}),
      Code::kInvalidArgument, "layer l1: entry '../escape': name climbs above the layer root");
  EXPECT_EQ(snapshotTree(temp() / "store"), before);
}

TEST_F(UnpackTest, RefusesExistingTargetDirectory) {
  std::filesystem::create_directories(layer());
  expectError(unpackOverlay(TarBuilder().file("a", "").build()), Code::kAlreadyExists,
              "already exists");
  EXPECT_TRUE(std::filesystem::is_empty(layer()));
}

TEST_F(UnpackTest, ShortReadsFromTheSourceChangeNothing) {
  chunk_ = 1;
  const Bytes tar = TarBuilder().file("a", std::string(3000, 'q')).symlink("s", "a").build();
  ASSERT_TRUE(unpackOverlay(tar));
  EXPECT_EQ(readAll(layer() / "a"), std::string(3000, 'q'));
}

}  // namespace
}  // namespace cocoon::image::unpack::test
