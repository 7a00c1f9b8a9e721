// SPDX-License-Identifier: Apache-2.0
// copyImage between OCI layouts and a real docker-registry: byte-identical manifests,
// blobs skipped when present, platform selection, tampered sources refused.
#include <fstream>

#include <gtest/gtest.h>

#include "common/files.h"
#include "http/peer_process.h"
#include "image/copy.h"
#include "image/oci_layout_destination.h"
#include "image/oci_layout_source.h"
#include "image/open_destination.h"
#include "image/open_source.h"
#include "image/registry/registry_env.h"
#include "image/test_image.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;
using cocoon::test::runTool;

class ImageCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("imgcopy");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto image = test::makeTestImage((dir_->path() / "work").string(), 300 * 1024);
    ASSERT_TRUE(image) << image.error().toString();
    image_ = std::move(*image);
    auto dest = openOciLayoutDestination(dir_->path() / "a", "v1");
    ASSERT_TRUE(dest) << dest.error().toString();
    ASSERT_TRUE(test::writeTestImage(**dest, image_, ""));
  }
  std::unique_ptr<ImageSource> layoutSource(const std::string& name) {
    auto source = openOciLayout(dir_->path() / name);
    EXPECT_TRUE(source) << source.error().toString();
    return source ? std::move(*source) : nullptr;
  }
  // A registries.conf marking `host` insecure, and no credentials.
  SourceOptions registryOptions(const std::string& host) {
    SourceOptions options;
    options.registries_conf = dir_->path() / "registries.conf";
    std::ofstream(options.registries_conf)
        << "[[registry]]\nlocation = \"" << host << "\"\ninsecure = true\n";
    options.auth_file = dir_->path() / "no-auth.json";
    return options;
  }

  std::optional<TempDir> dir_;
  test::TestImage image_;
};

TEST_F(ImageCopyTest, LayoutToRegistryToLayoutKeepsTheManifestAndSkipsPresentBlobs) {
  auto env = registry::test::RegistryEnv::create();
  ASSERT_TRUE(env);
  auto host = (*env)->openHost();
  ASSERT_TRUE(host) << host.error().toString();
  const SourceOptions options = registryOptions(*host);
  const std::string target = *host + "/copy/app:c1";
  auto pushed = openImageDestination(target, options);
  ASSERT_TRUE(pushed) << pushed.error().toString();
  std::vector<BlobEvent> events;
  CopyOptions copy_options;
  copy_options.on_blob = [&](const oci::Descriptor&, BlobEvent e) { events.push_back(e); };
  auto first = copyImage(*layoutSource("a"), "v1", **pushed, "", copy_options);
  ASSERT_TRUE(first) << first.error().toString();
  EXPECT_EQ(first->manifest_digest, image_.manifest_digest);
  EXPECT_EQ(first->blobs_copied, 2u);
  EXPECT_EQ(first->bytes_copied, static_cast<std::uint64_t>(image_.config.descriptor.size +
                                                            image_.layers[0].descriptor.size));
  EXPECT_EQ(events, (std::vector<BlobEvent>{BlobEvent::kCopying, BlobEvent::kCopied,
                                            BlobEvent::kCopying, BlobEvent::kCopied}));
  auto again = copyImage(*layoutSource("a"), "v1", **pushed, "", {});
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->blobs_skipped, 2u);
  EXPECT_EQ(again->bytes_copied, 0u);

  auto source = openImageSource(target, options);
  ASSERT_TRUE(source) << source.error().toString();
  auto back = openImageDestination("oci:" + (dir_->path() / "b").string() + ":back", options);
  ASSERT_TRUE(back) << back.error().toString();
  auto pulled = copyImage(*source->source, "c1", **back, "", {});
  ASSERT_TRUE(pulled) << pulled.error().toString();
  auto raw =
      runTool({"skopeo", "inspect", "--raw", "oci:" + (dir_->path() / "b").string() + ":back"});
  ASSERT_TRUE(raw) << raw.error().toString();
  EXPECT_EQ(*raw, toString(image_.manifest));
  auto unpacked = runTool({"umoci", "unpack", "--image", (dir_->path() / "b").string() + ":back",
                           (dir_->path() / "bundle").string()});
  ASSERT_TRUE(unpacked) << unpacked.error().toString();
}

TEST_F(ImageCopyTest, IndexCopiesTheSelectedPlatformOrEverything) {
  // An index in layout "a": amd64 -> the test image, arm64 -> the same image annotated.
  auto dest = openOciLayoutDestination(dir_->path() / "a", "v1");
  ASSERT_TRUE(dest);
  const std::string arm_manifest = toString(image_.manifest).substr(0, image_.manifest.size() - 1) +
                                   R"(,"annotations":{"arch":"arm64"}})";
  auto arm_digest = (*dest)->putManifest(oci::computeDigest(asBytes(arm_manifest)).toString(),
                                         asBytes(arm_manifest), oci::kOciManifest);
  ASSERT_TRUE(arm_digest) << arm_digest.error().toString();
  const std::string index = fmt::format(
      R"({{"schemaVersion":2,"mediaType":"{}","manifests":[)"
      R"({{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"amd64"}}}},)"
      R"({{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"arm64"}}}}]}})",
      oci::kOciIndex, oci::kOciManifest, image_.manifest_digest, image_.manifest.size(),
      oci::kOciManifest, *arm_digest, arm_manifest.size());
  ASSERT_TRUE((*dest)->putManifest("multi", asBytes(index), oci::kOciIndex));

  auto one = openOciLayoutDestination(dir_->path() / "one", "arm");
  ASSERT_TRUE(one);
  CopyOptions options;
  options.platform = {.os = "linux", .architecture = "arm64"};
  auto copied = copyImage(*layoutSource("a"), "multi", **one, "", options);
  ASSERT_TRUE(copied) << copied.error().toString();
  EXPECT_EQ(copied->manifest_digest, *arm_digest);

  auto all = openOciLayoutDestination(dir_->path() / "all", "multi");
  ASSERT_TRUE(all);
  options.all_platforms = true;
  auto everything = copyImage(*layoutSource("a"), "multi", **all, "", options);
  ASSERT_TRUE(everything) << everything.error().toString();
  EXPECT_EQ(everything->manifest_digest, oci::computeDigest(asBytes(index)));
  EXPECT_EQ(everything->blobs_skipped, 2u);  // the second manifest shares both blobs
  auto inspected =
      runTool({"skopeo", "inspect", "--raw", "oci:" + (dir_->path() / "all").string() + ":multi"});
  ASSERT_TRUE(inspected) << inspected.error().toString();
  EXPECT_EQ(*inspected, index);

  options.platform = {.os = "linux", .architecture = "s390x"};
  options.all_platforms = false;
  expectError(copyImage(*layoutSource("a"), "multi", **one, "", options), Code::kNotFound,
              "no image for");
}

TEST_F(ImageCopyTest, TamperedSourceBlobIsDataLossAndNotStored) {
  const oci::Descriptor& layer = image_.layers[0].descriptor;
  const fs::path blob = dir_->path() / "a/blobs/sha256" / layer.digest.encoded;
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x55');
  }
  auto dest = openOciLayoutDestination(dir_->path() / "c", "v1");
  ASSERT_TRUE(dest);
  expectError(copyImage(*layoutSource("a"), "v1", **dest, "", {}), Code::kDataLoss,
              "digest mismatch: expected " + layer.digest.toString());
  cocoon::test::expectValue((*dest)->hasBlob(layer), false);
  auto text = readTextFile(dir_->path() / "c/index.json", 4096);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find(R"("manifests":[])"), std::string::npos) << *text;
}

}  // namespace
}  // namespace cocoon::image
