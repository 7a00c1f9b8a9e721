// SPDX-License-Identifier: Apache-2.0
// Guest pulls into a store too small for the image (a tmpfs of a few pages, as a guest
// without a scratch disk has): refused before any layer is written, or stopped cleanly when
// the file system fills, with nothing left behind. Needs root (mount) and docker-registry.
#include <sys/mount.h>

#include <gtest/gtest.h>

#include "agent/agent_env.h"
#include "agent/config.h"
#include "agent/guest_pull.h"
#include "image/layer_store.h"
#include "image/puller.h"
#include "image/registry_source.h"
#include "support/expect.h"

namespace cocoon::agent::storage {
namespace {

namespace fs = std::filesystem;
using cocoon::test::expectError;

class PullSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = test::e2eSkipReason(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    auto env = test::AgentEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
    state_ = env_->dir() / "state";
    ASSERT_TRUE(createDirectories(state_));
  }
  void TearDown() override {
    if (mounted_) {
      ::umount2(state_.c_str(), MNT_DETACH);
    }
  }
  void mountTmpfs(std::uint64_t bytes) {
    const std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
    ASSERT_EQ(::mount("tmpfs", state_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()), 0)
        << std::strerror(errno);
    mounted_ = true;
  }
  // The compressed size of the busybox image's layers, from its manifest.
  std::uint64_t layerBytes() {
    auto ref = image::oci::parseReference(env_->image());
    EXPECT_TRUE(ref);
    image::SourceOptions source;
    source.registries_conf = env_->dir() / "space-registries.conf";
    EXPECT_TRUE(
        writeFileAtomic(source.registries_conf, asBytes(insecureRegistriesConf({ref->registry}))));
    auto opened = image::openRegistrySource(*ref, source);
    EXPECT_TRUE(opened) << opened.error().toString();
    auto resolved =
        image::resolveImage(*opened->source, opened->reference, image::oci::hostPlatform());
    EXPECT_TRUE(resolved) << resolved.error().toString();
    std::uint64_t total = 0;
    for (const auto& layer : resolved->manifest.layers) {
      total += static_cast<std::uint64_t>(layer.descriptor.size);
    }
    return total;
  }
  Status pull() {
    AgentConfig config;
    config.state_dir = state_;
    config.image.insecure_registries = {env_->image().substr(0, env_->image().find('/'))};
    COCOON_ASSIGN_OR_RETURN(GuestPullOptions options, makeGuestPullOptions(config));
    return pullIntoBundle({.image = env_->image()}, state_ / "containers" / "c1", options);
  }

  std::unique_ptr<test::AgentEnv> env_;
  fs::path state_;
  bool mounted_ = false;
};

TEST_F(PullSpaceTest, ImageLargerThanFreeSpaceIsRefusedBeforeAnyLayer) {
  const std::uint64_t compressed = layerBytes();
  ASSERT_GT(compressed, 256u * 1024);
  mountTmpfs(256 * 1024);
  Status pulled = pull();
  expectError(
      pulled, Code::kResourceExhausted,
      fmt::format("needs at least {} bytes in {}", compressed, (state_ / "store").string()));
  EXPECT_THAT(pulled.error().message,
              ::testing::HasSubstr("(1 of 1 layers to fetch, compressed size"));
  EXPECT_FALSE(fs::exists(state_ / "containers" / "c1" / "rootfs"));
  EXPECT_FALSE(fs::exists(state_ / "store" / "layers" / "sha256"));
}

TEST_F(PullSpaceTest, StoreThatFillsWhileUnpackingStopsCleanly) {
  // Room for the compressed size (the early check passes) but not for the unpacked layer.
  const std::uint64_t compressed = layerBytes();
  mountTmpfs(compressed + 128 * 1024);
  Status pulled = pull();
  expectError(pulled, Code::kResourceExhausted, "No space left on device");
  EXPECT_FALSE(fs::exists(state_ / "containers" / "c1" / "rootfs"));
  auto store = image::LayerStore::open(state_ / "store");
  ASSERT_TRUE(store) << store.error().toString();
  auto images = store->listImages();
  ASSERT_TRUE(images) << images.error().toString();
  EXPECT_TRUE(images->empty());
  std::size_t left = 0;
  for (const auto& entry : fs::recursive_directory_iterator(state_ / "store")) {
    left += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_LE(left, 1u) << "only the store's lock file may remain";
}

}  // namespace
}  // namespace cocoon::agent::storage
