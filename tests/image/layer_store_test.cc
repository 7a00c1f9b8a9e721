// SPDX-License-Identifier: Apache-2.0
#include "image/layer_store.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image {
namespace {

using test::expectError;

oci::Digest digestOf(std::string_view text) {
  return oci::computeDigest(asBytes(text));
}

class LayerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("layer-store");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto s = LayerStore::open(dir_->path() / "store");
    ASSERT_TRUE(s) << s.error().toString();
    store_.emplace(std::move(*s));
  }
  // Creates a fake unpacked layer.
  void addLayer(const oci::Digest& d) {
    ASSERT_TRUE(store_->prepareLayerParent(d));
    std::filesystem::create_directories(store_->layerPath(d) / "etc");
    std::ofstream(store_->layerPath(d) / "etc/file") << "x";
  }
  ImageRecord record(std::string ref, std::vector<oci::Digest> layers) {
    return ImageRecord{std::move(ref), digestOf("m"), digestOf("c"), std::move(layers), 10, 1};
  }
  std::optional<TempDir> dir_;
  std::optional<LayerStore> store_;
};

TEST_F(LayerStoreTest, LayersLiveUnderTheirDiffId) {
  auto d = digestOf("layer");
  EXPECT_EQ(store_->layerPath(d), store_->root() / "layers/sha256" / d.encoded);
  EXPECT_FALSE(store_->hasLayer(d));
  addLayer(d);
  EXPECT_TRUE(store_->hasLayer(d));
}

TEST_F(LayerStoreTest, RecordsRoundTripSortedByReference) {
  ASSERT_TRUE(store_->putImage(record("r/b:1", {digestOf("1")})));
  ASSERT_TRUE(store_->putImage(record("r/a:1", {digestOf("1"), digestOf("2")})));
  ASSERT_TRUE(store_->putImage(record("r/a:1", {digestOf("2")})));  // replaces
  auto images = store_->listImages();
  ASSERT_TRUE(images) << images.error().toString();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].reference, "r/a:1");
  EXPECT_EQ((*images)[0].diff_ids, std::vector<oci::Digest>{digestOf("2")});
  EXPECT_EQ((*images)[1].manifest_digest, digestOf("m"));
  EXPECT_TRUE(store_->removeImage("r/a:1"));
  expectError(store_->removeImage("r/a:1"), Code::kNotFound, "no image 'r/a:1'");
}

TEST_F(LayerStoreTest, GcRemovesUnreferencedLayersAndPartials) {
  auto shared = digestOf("shared");
  auto only_a = digestOf("a");
  auto only_b = digestOf("b");
  for (const auto& d : {shared, only_a, only_b}) {
    addLayer(d);
  }
  std::filesystem::create_directories(store_->layerPath(shared).string() + ".partial-x1y2");
  ASSERT_TRUE(store_->putImage(record("a", {shared, only_a})));
  ASSERT_TRUE(store_->putImage(record("b", {shared, only_b})));
  ASSERT_TRUE(store_->removeImage("b"));
  auto stats = store_->gc();
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->layers_removed, 1u);
  EXPECT_EQ(stats->layers_kept, 2u);
  EXPECT_EQ(stats->partials_removed, 1u);
  EXPECT_TRUE(store_->hasLayer(shared));
  EXPECT_TRUE(store_->hasLayer(only_a));
  EXPECT_FALSE(store_->hasLayer(only_b));
}

TEST_F(LayerStoreTest, CorruptRecordIsNamed) {
  std::ofstream(store_->root() / "images/bad.json") << "{\"reference\": 5}";
  expectError(store_->listImages(), Code::kDataLoss, "bad.json is corrupt");
}

TEST(LayerStoreLocation, HonoursCocoonStore) {
  ::setenv("COCOON_STORE", "/tmp/somewhere", 1);
  EXPECT_EQ(LayerStore::defaultLocation(), "/tmp/somewhere");
  ::unsetenv("COCOON_STORE");
  if (::geteuid() == 0) {
    EXPECT_EQ(LayerStore::defaultLocation(), "/var/lib/cocoon/store");
  }
}

}  // namespace
}  // namespace cocoon::image
