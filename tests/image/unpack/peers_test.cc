// SPDX-License-Identifier: Apache-2.0
// The same archives extracted by GNU tar and by umoci give the same trees as ours.
#include <gtest/gtest.h>

#include <fstream>

#include "common/encoding.h"
#include "common/subprocess.h"
#include "crypto/digest.h"
#include "image/unpack/fixture.h"

namespace cocoon::image::unpack::test {
namespace {

namespace fs = std::filesystem;

Bytes archiveForPeers() {
  return TarBuilder()
      .dir("etc", 0755)
      .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644)
      .file("bin/su", "elf", 04755)
      .dir("tmp", 01777)
      .symlink("bin/sh", "busybox")
      .file("bin/busybox", "elf", 0755)
      .hardlink("bin/ls", "bin/busybox")
      .fifo("run/initctl")
      .charDevice("dev/null", 1, 3)
      .file("home/user/.profile", "export A=1\n", 0600)
      .owner(1000, 1000)
      .dir("home/user", 0700)
      .owner(1000, 1000)
      .mtime(1'650'000'000)
      .dir("usr/share/ro", 0555)
      .file(std::string(150, 'n') + "/" + std::string(150, 'm'), "long", 0640)
      .sparseFile("var/sparse", 1 << 20, {{4096, "data"}})
      .build();
}

TEST_F(UnpackTest, SameTreeAsGnuTar) {
  COCOON_REQUIRE_ROOT();
  const Bytes tar = archiveForPeers();
  ASSERT_TRUE(unpackOverlay(tar));
  const fs::path gnu = temp() / "gnu";
  fs::create_directories(gnu);
  SubprocessOptions run;
  run.argv = {"tar", "-x", "-p", "--same-owner", "--numeric-owner", "-f", "-", "-C", gnu.string()};
  run.stdin_data.assign(tar.begin(), tar.end());
  run.timeout = std::chrono::seconds(30);
  Result<SubprocessResult> done = runSubprocess(run);
  if (!done && done.error().code == Code::kNotFound) {
    GTEST_SKIP() << "GNU tar is not installed";
  }
  ASSERT_TRUE(done) << done.error().toString();
  ASSERT_EQ(done->exit_code, 0) << done->stderr_data;
  EXPECT_EQ(snapshotTree(layer()), snapshotTree(gnu));
  EXPECT_EQ(readAll(layer() / "var/sparse"), readAll(gnu / "var/sparse"));
}

// An OCI image layout holding `layers` (uncompressed tars) as one image tagged "t".
void writeOciLayout(const fs::path& dir, const std::vector<Bytes>& layers) {
  fs::create_directories(dir / "blobs/sha256");
  auto put = [&](const Bytes& blob) {
    const std::string hex = hexEncode(crypto::sha256(blob));
    std::ofstream(dir / "blobs/sha256" / hex, std::ios::binary)
        .write(reinterpret_cast<const char*>(blob.data()),
               static_cast<std::streamsize>(blob.size()));
    return "sha256:" + hex;
  };
  std::string diff_ids;
  std::string layer_descs;
  for (const Bytes& layer : layers) {
    const std::string digest = put(layer);
    diff_ids += (diff_ids.empty() ? "" : ",") + ("\"" + digest + "\"");
    layer_descs += (layer_descs.empty() ? "" : ",") +
                   fmt::format(R"({{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                               R"("digest":"{}","size":{}}})",
                               digest, layer.size());
  }
  const std::string config = fmt::format(R"({{"architecture":"amd64","os":"linux","config":{{}},)"
                                         R"("rootfs":{{"type":"layers","diff_ids":[{}]}}}})",
                                         diff_ids);
  const Bytes config_bytes(config.begin(), config.end());
  const std::string manifest = fmt::format(
      R"({{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}",)"
      R"("size":{}}},"layers":[{}]}})",
      put(config_bytes), config.size(), layer_descs);
  const Bytes manifest_bytes(manifest.begin(), manifest.end());
  std::ofstream(dir / "index.json")
      << fmt::format(R"({{"schemaVersion":2,"manifests":[{{"mediaType":)"
                     R"("application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},)"
                     R"("annotations":{{"org.opencontainers.image.ref.name":"t"}}}}]}})",
                     put(manifest_bytes), manifest.size());
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
}

TEST_F(UnpackTest, FlattenedLayersMatchUmociUnpack) {
  COCOON_REQUIRE_ROOT();
  const Bytes lower = TarBuilder()
                          .dir("etc")
                          .file("etc/motd", "hello")
                          .file("etc/hosts", "127.0.0.1")
                          .dir("var")
                          .dir("var/cache")
                          .file("var/cache/a", "a")
                          .file("var/cache/sub/b", "b")
                          .dir("opt")
                          .file("opt/tool", "t", 0755)
                          .symlink("lib", "usr/lib")
                          .build();
  const Bytes upper = TarBuilder()
                          .dir("etc")
                          .file("etc/.wh.motd", "")
                          .dir("var/cache")
                          .file("var/cache/.wh..wh..opq", "")
                          .file("var/cache/new", "n")
                          .file(".wh.opt", "")
                          .file("lib", "now a file")
                          .file("bin/su", "elf", 04755)
                          .build();
  for (const Bytes& layer_tar : {lower, upper}) {
    Result<LayerStats> stats = applyOnto(layer_tar);
    ASSERT_TRUE(stats) << stats.error().toString();
  }
  const fs::path image = temp() / "image";
  writeOciLayout(image, {lower, upper});
  SubprocessOptions run;
  run.argv = {"umoci", "unpack", "--image", image.string() + ":t", (temp() / "bundle").string()};
  run.timeout = std::chrono::seconds(30);
  Result<SubprocessResult> done = runSubprocess(run);
  if (!done && done.error().code == Code::kNotFound) {
    GTEST_SKIP() << "umoci is not installed";
  }
  ASSERT_TRUE(done) << done.error().toString();
  ASSERT_EQ(done->exit_code, 0) << done->stderr_data;
  // umoci restores the mtime of a directory after deleting from it; containerd does not.
  EXPECT_EQ(snapshotTree(layer(), false), snapshotTree(temp() / "bundle/rootfs", false));
}

}  // namespace
}  // namespace cocoon::image::unpack::test
