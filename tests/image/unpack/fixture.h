// SPDX-License-Identifier: Apache-2.0
// Test fixture for unpack: a temp dir per test holding the layer target and an "outside"
// directory that no layer may touch.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "common/files.h"
#include "image/unpack/tar_builder.h"
#include "image/unpack/unpack.h"

namespace cocoon::image::unpack::test {

class UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("unpack-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    temp_.emplace(std::move(*dir));
    std::filesystem::create_directories(outside());
    std::ofstream(outside() / "passwd") << "root:x:0:0\n";
    outside_before_ = snapshotTree(outside());
  }

  void TearDown() override {
    // Whatever a test did, nothing outside the layer target may have changed.
    EXPECT_EQ(snapshotTree(outside()), outside_before_);
    EXPECT_EQ(readAll(outside() / "passwd"), "root:x:0:0\n");
  }

  const std::filesystem::path& temp() const { return temp_->path(); }
  std::filesystem::path outside() const { return temp() / "outside"; }
  std::filesystem::path layer() const { return temp() / "layer"; }

  // Extracts `tar` into layer() as a new overlay layer.
  Result<LayerStats> unpackOverlay(const Bytes& tar, UnpackOptions opts = {}) {
    MemorySource source(tar, chunk_);
    return unpackLayer(source, UnpackTarget{UnpackMode::kOverlayLayer, layer(), "test:layer"},
                       opts);
  }

  // Applies `tar` onto the tree at layer() (created if missing).
  Result<LayerStats> applyOnto(const Bytes& tar, UnpackOptions opts = {}) {
    std::filesystem::create_directories(layer());
    MemorySource source(tar, chunk_);
    return unpackLayer(source, UnpackTarget{UnpackMode::kApplyOnto, layer(), "test:flat"}, opts);
  }

  static bool isRoot() { return ::geteuid() == 0; }

  std::size_t chunk_ = 4096;
  std::optional<TempDir> temp_;
  std::map<std::string, std::string> outside_before_;
};

#define COCOON_REQUIRE_ROOT()                                                \
  do {                                                                       \
    if (!isRoot()) {                                                         \
      GTEST_SKIP() << "needs root (device nodes, trusted.* xattrs, owners)"; \
    }                                                                        \
  } while (false)

}  // namespace cocoon::image::unpack::test
