// SPDX-License-Identifier: Apache-2.0
// OCI layout destination: layouts written here are read back by umoci, skopeo and our own
// layout source; bad bytes never land in blobs/.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "http/peer_process.h"
#include "image/oci_layout_destination.h"
#include "image/oci_layout_source.h"
#include "image/open_destination.h"
#include "image/registry/registry_env.h"
#include "image/test_image.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;
using cocoon::test::runTool;
using test::producerOf;

class OciLayoutDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("imgdest");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto image = test::makeTestImage((dir_->path() / "work").string(), 200 * 1024);
    ASSERT_TRUE(image) << image.error().toString();
    image_ = std::move(*image);
  }
  fs::path layout() const { return dir_->path() / "layout"; }
  std::unique_ptr<ImageDestination> open(const std::string& tag = "v1") {
    auto d = openOciLayoutDestination(layout(), tag);
    EXPECT_TRUE(d) << d.error().toString();
    return d ? std::move(*d) : nullptr;
  }
  json::Json index() {
    auto text = readTextFile(layout() / "index.json", 1 << 20);
    EXPECT_TRUE(text);
    auto j = json::parseJson(text ? *text : "");
    EXPECT_TRUE(j);
    return j ? *j : json::Json();
  }
  // Names in blobs/sha256 (no temp files may be among them).
  std::vector<std::string> blobNames() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(layout() / "blobs/sha256")) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<TempDir> dir_;
  test::TestImage image_;
};

TEST_F(OciLayoutDestinationTest, WritesALayoutThatUmociAndSkopeoRead) {
  auto dest = open();
  ASSERT_TRUE(dest);
  auto digest = test::writeTestImage(*dest, image_, "");
  ASSERT_TRUE(digest) << digest.error().toString();
  EXPECT_EQ(*digest, image_.manifest_digest);

  auto raw = runTool({"skopeo", "inspect", "--raw", "oci:" + layout().string() + ":v1"});
  ASSERT_TRUE(raw) << raw.error().toString();
  EXPECT_EQ(*raw, toString(image_.manifest));
  const fs::path bundle = dir_->path() / "bundle";
  auto unpacked =
      runTool({"umoci", "unpack", "--image", layout().string() + ":v1", bundle.string()});
  ASSERT_TRUE(unpacked) << unpacked.error().toString();
  auto hello = readTextFile(bundle / "rootfs/hello.txt", 1024);
  ASSERT_TRUE(hello);
  EXPECT_EQ(*hello, "hello cocoon\n");

  // Our own reader finds the tag and its media type.
  auto source = openOciLayout(layout());
  ASSERT_TRUE(source) << source.error().toString();
  auto manifest = (*source)->manifest("v1", 1 << 20);
  ASSERT_TRUE(manifest) << manifest.error().toString();
  EXPECT_EQ(manifest->body, image_.manifest);
  EXPECT_EQ(manifest->content_type, oci::kOciManifest);
  EXPECT_EQ(toString(*readFile(layout() / "oci-layout", 100)), R"({"imageLayoutVersion":"1.0.0"})");
}

TEST_F(OciLayoutDestinationTest, HasBlobNeedsTheFileWithTheDescriptorSize) {
  auto dest = open();
  const oci::Descriptor& layer = image_.layers[0].descriptor;
  cocoon::test::expectValue((*dest).hasBlob(layer), false);
  ASSERT_TRUE(dest->putBlob(layer, producerOf(image_.layers[0].bytes)));
  cocoon::test::expectValue(dest->hasBlob(layer), true);
  oci::Descriptor other_size = layer;
  other_size.size += 1;
  cocoon::test::expectValue(dest->hasBlob(other_size), false);
  // Writing it again is fine and leaves one file.
  ASSERT_TRUE(dest->putBlob(layer, producerOf(image_.layers[0].bytes, 4096)));
  EXPECT_EQ(blobNames(), std::vector<std::string>{layer.digest.encoded});
}

TEST_F(OciLayoutDestinationTest, TamperedBlobIsDataLossAndLeavesNothing) {
  auto dest = open();
  Bytes tampered = image_.layers[0].bytes;
  tampered[tampered.size() / 2] ^= 0x55;
  const oci::Descriptor& layer = image_.layers[0].descriptor;
  expectError(dest->putBlob(layer, producerOf(tampered)), Code::kDataLoss,
              "digest mismatch: expected " + layer.digest.toString());
  EXPECT_TRUE(blobNames().empty());
}

TEST_F(OciLayoutDestinationTest, WrongLengthIsDataLossAndLeavesNothing) {
  auto dest = open();
  const oci::Descriptor& layer = image_.layers[0].descriptor;
  Bytes longer = image_.layers[0].bytes;
  longer.push_back(0);
  expectError(dest->putBlob(layer, producerOf(longer)), Code::kDataLoss,
              fmt::format("more than the expected {} bytes", layer.size));
  Bytes shorter(image_.layers[0].bytes.begin(), image_.layers[0].bytes.end() - 1);
  expectError(dest->putBlob(layer, producerOf(shorter)), Code::kDataLoss,
              fmt::format("{} bytes, expected {}", layer.size - 1, layer.size));
  EXPECT_TRUE(blobNames().empty());
}

TEST_F(OciLayoutDestinationTest, ProducerErrorIsReturnedAndLeavesNothing) {
  auto dest = open();
  auto failing = [](const std::function<Status(ByteSpan)>& sink) -> Status {
    COCOON_TRY(sink(asBytes("partial")));
    return fail(Code::kUnavailable, "source went away");
  };
  expectError(dest->putBlob(image_.layers[0].descriptor, failing), Code::kUnavailable,
              "source went away");
  EXPECT_TRUE(blobNames().empty());
}

TEST_F(OciLayoutDestinationTest, RetagReplacesOnlyThatTagsEntry) {
  auto dest = open();
  ASSERT_TRUE(test::writeTestImage(*dest, image_, "v1"));
  ASSERT_TRUE(dest->putManifest("keep", image_.manifest, oci::kOciManifest));
  const Bytes other = toBytes(R"({"schemaVersion":2,"manifests":[]})");
  auto other_digest = dest->putManifest("v1", other, oci::kOciIndex);
  ASSERT_TRUE(other_digest) << other_digest.error().toString();
  json::Json manifests = index()["manifests"];
  ASSERT_EQ(manifests.size(), 2u);
  EXPECT_EQ(manifests[0]["annotations"]["org.opencontainers.image.ref.name"], "keep");
  EXPECT_EQ(manifests[1]["annotations"]["org.opencontainers.image.ref.name"], "v1");
  EXPECT_EQ(manifests[1]["digest"], other_digest->toString());
  EXPECT_EQ(manifests[1]["mediaType"], oci::kOciIndex);
  EXPECT_EQ(manifests[1]["size"], other.size());
}

TEST_F(OciLayoutDestinationTest, DigestReferenceAddsOneUnnamedEntry) {
  auto dest = open();
  const std::string digest = image_.manifest_digest.toString();
  cocoon::test::expectValue(dest->putManifest(digest, image_.manifest, oci::kOciManifest),
                            image_.manifest_digest);
  cocoon::test::expectValue(dest->putManifest(digest, image_.manifest, oci::kOciManifest),
                            image_.manifest_digest);
  json::Json manifests = index()["manifests"];
  ASSERT_EQ(manifests.size(), 1u);
  EXPECT_EQ(manifests[0]["digest"], digest);
  EXPECT_FALSE(manifests[0].contains("annotations"));
  const std::string wrong = image_.config.descriptor.digest.toString();
  expectError(dest->putManifest(wrong, image_.manifest, oci::kOciManifest), Code::kInvalidArgument,
              "not the reference " + wrong);
}

TEST_F(OciLayoutDestinationTest, ConcurrentWritesKeepEveryTag) {
  auto dest = open();
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = test::writeTestImage(*dest, image_, fmt::format("t{}", i));
      results[i] = r ? okStatus() : fail(r.error());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    EXPECT_TRUE(r) << r.error().toString();
  }
  EXPECT_EQ(index()["manifests"].size(), results.size());
  EXPECT_EQ(blobNames().size(), 3u);  // config, layer, manifest: no temp files left
}

TEST_F(OciLayoutDestinationTest, RefusesBadTagsAndForeignDirectories) {
  expectError(openOciLayoutDestination(layout(), "-bad"), Code::kInvalidArgument, "invalid tag");
  expectError(openOciLayoutDestination(layout(), ""), Code::kInvalidArgument, "invalid tag");
  fs::create_directories(dir_->path() / "busy");
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "busy/file", asBytes("x")));
  expectError(openOciLayoutDestination(dir_->path() / "busy", "v1"), Code::kFailedPrecondition,
              "no oci-layout file");
  auto dest = open();
  expectError(dest->putManifest("a//b", image_.manifest, oci::kOciManifest), Code::kInvalidArgument,
              "invalid tag 'a//b'");
  EXPECT_TRUE(isOciRefName("example.com/app:1.0--rc@x+y"));
  EXPECT_FALSE(isOciRefName("a..b/"));
}

TEST(OpenImageDestination, ParsesOciLayoutSpecs) {
  auto dir = TempDir::create("imgdest-open");
  ASSERT_TRUE(dir);
  auto dest = openImageDestination("oci:" + (dir->path() / "l").string() + ":t1", {});
  ASSERT_TRUE(dest) << dest.error().toString();
  EXPECT_EQ((*dest)->describe(), "oci layout " + (dir->path() / "l").string());
  ASSERT_TRUE((*dest)->putManifest("", asBytes("{}"), oci::kOciManifest));
  auto text = readTextFile(dir->path() / "l/index.json", 4096);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find(R"("org.opencontainers.image.ref.name":"t1")"), std::string::npos);
  expectError(openImageDestination("oci::t", {}), Code::kInvalidArgument, "no layout directory");
}

// A push through openImageDestination to a docker-registry marked insecure in a
// registries.conf, read back with skopeo; a tampered layer is refused and not stored.
TEST_F(OciLayoutDestinationTest, RegistryDestinationPushesAndRefusesTamperedBlobs) {
  auto env = registry::test::RegistryEnv::create();
  ASSERT_TRUE(env);
  auto host = (*env)->basicHost();
  ASSERT_TRUE(host) << host.error().toString();
  SourceOptions options;
  options.registries_conf = dir_->path() / "registries.conf";
  ASSERT_TRUE(writeFileAtomic(
      options.registries_conf,
      asBytes(fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", *host))));
  options.auth_file = dir_->path() / "auth.json";
  ASSERT_TRUE(writeFileAtomic(options.auth_file, asBytes("{}")));
  const std::string target = *host + "/copied/app:c1";
  auto anonymous = openImageDestination(target, options);
  ASSERT_TRUE(anonymous) << anonymous.error().toString();
  expectError(test::writeTestImage(**anonymous, image_, ""), Code::kUnauthenticated,
              "requires credentials");

  const std::string basic =
      base64Encode(asBytes(std::string(registry::test::kUser) + ":" + registry::test::kPassword));
  ASSERT_TRUE(writeFileAtomic(
      options.auth_file,
      asBytes(fmt::format(R"({{"auths":{{"{}":{{"auth":"{}"}}}}}})", *host, basic))));
  auto dest = openImageDestination(target, options);
  ASSERT_TRUE(dest) << dest.error().toString();
  EXPECT_EQ((*dest)->describe(), "registry " + *host + " repository copied/app");
  Bytes tampered = image_.layers[0].bytes;
  tampered[7] ^= 1;
  const oci::Descriptor& layer = image_.layers[0].descriptor;
  expectError((*dest)->putBlob(layer, producerOf(tampered)), Code::kDataLoss,
              "digest mismatch: expected " + layer.digest.toString());
  cocoon::test::expectValue((*dest)->hasBlob(layer), false);

  cocoon::test::expectValue(test::writeTestImage(**dest, image_, ""), image_.manifest_digest);
  cocoon::test::expectValue((*dest)->hasBlob(layer), true);
  auto raw = runTool({"skopeo", "inspect", "--raw", "--tls-verify=false", "--creds",
                      std::string(registry::test::kUser) + ":" + registry::test::kPassword,
                      "docker://" + target});
  ASSERT_TRUE(raw) << raw.error().toString();
  EXPECT_EQ(*raw, toString(image_.manifest));
}

}  // namespace
}  // namespace cocoon::image
