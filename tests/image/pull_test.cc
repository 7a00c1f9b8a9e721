// SPDX-License-Identifier: Apache-2.0
// End-to-end pulls of a real multi-layer image (built by umoci) compared entry by entry
// with `umoci unpack` of the same image.
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/subprocess.h"
#include "http/peer_process.h"
#include "image/oci_layout_source.h"
#include "image/open_source.h"
#include "image/puller.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image {
namespace {

using test::expectError;

SubprocessResult run(std::vector<std::string> argv) {
  auto r = runSubprocess({.argv = std::move(argv), .timeout = std::chrono::seconds(120)});
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : SubprocessResult{};
}

// One image (built once per suite) and its umoci unpack, the reference tree.
class ImagePull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      return;
    }
    auto dir = TempDir::create("image-pull");
    ASSERT_TRUE(dir);
    suite_dir_ = new TempDir(std::move(*dir));
    auto made =
        run({COCOON_SOURCE_DIR "/tests/image/make_test_image.sh", (layout()).string(), "tree"});
    ASSERT_EQ(made.exit_code, 0) << made.stderr_data;
    auto ref = run({"umoci", "unpack", "--image", layout().string() + ":tree",
                    (suite_dir_->path() / "umoci").string()});
    ASSERT_EQ(ref.exit_code, 0) << ref.stderr_data;
  }
  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
  }
  static std::filesystem::path layout() { return suite_dir_->path() / "layout"; }
  static std::filesystem::path umociRootfs() { return suite_dir_->path() / "umoci/rootfs"; }

  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (owners, device nodes, overlayfs mounts)";
    }
    auto dir = TempDir::create("pull-case");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto store = LayerStore::open(dir_->path() / "store");
    ASSERT_TRUE(store);
    store_.emplace(std::move(*store));
    auto source = openOciLayout(layout());
    ASSERT_TRUE(source) << source.error().toString();
    source_ = std::move(*source);
  }
  void TearDown() override {
    if (dir_) {
      (void)removeBundle(dir_->path() / "bundle");
    }
  }
  void expectSameTree(const std::filesystem::path& rootfs) {
    auto diff = run({"python3", COCOON_SOURCE_DIR "/tests/support/tree_diff.py",
                     umociRootfs().string(), rootfs.string()});
    EXPECT_EQ(diff.exit_code, 0) << diff.stdout_data << diff.stderr_data;
  }
  Result<PullResult> pull(bool flatten) {
    auto ref = oci::parseReference("localhost/tree:tree");
    EXPECT_TRUE(ref);
    PullOptions options;
    options.dest = dir_->path() / "bundle";
    options.flatten = flatten;
    return pullImage(*source_, *ref, *store_, options);
  }

  static TempDir* suite_dir_;
  std::optional<TempDir> dir_;
  std::optional<LayerStore> store_;
  std::unique_ptr<ImageSource> source_;
};
TempDir* ImagePull::suite_dir_ = nullptr;

TEST_F(ImagePull, OverlayRootfsMatchesUmociUnpack) {
  auto result = pull(false);
  ASSERT_TRUE(result) << result.error().toString();
  EXPECT_TRUE(result->mounted);
  EXPECT_EQ(result->layers.size(), 3u);
  expectSameTree(result->rootfs);
  // A second pull of the same image reuses every layer.
  ASSERT_TRUE(removeBundle(dir_->path() / "bundle"));
  auto again = pull(false);
  ASSERT_TRUE(again) << again.error().toString();
  for (const auto& l : again->layers) {
    EXPECT_TRUE(l.reused) << l.diff_id.toString();
  }
  EXPECT_EQ(again->bytes_downloaded, 0u);
}

TEST_F(ImagePull, FlattenedRootfsMatchesUmociUnpack) {
  auto result = pull(true);
  ASSERT_TRUE(result) << result.error().toString();
  EXPECT_FALSE(result->mounted);
  expectSameTree(result->rootfs);
}

TEST_F(ImagePull, WritesARuntimeSpecFromTheImageConfig) {
  auto result = pull(true);
  ASSERT_TRUE(result) << result.error().toString();
  auto text = readTextFile(result->spec_path, 1 << 20);
  ASSERT_TRUE(text);
  auto spec = json::parseJson(*text);
  ASSERT_TRUE(spec);
  EXPECT_EQ((*spec)["process"]["args"], json::Json({"/bin/hello"}));
  EXPECT_EQ((*spec)["process"]["cwd"], "/data");
  EXPECT_EQ((*spec)["process"]["user"]["uid"], 1000);
  EXPECT_EQ((*spec)["root"]["path"], "rootfs");
}

TEST_F(ImagePull, RefusesADestinationThatHoldsABundle) {
  std::filesystem::create_directories(dir_->path() / "bundle/rootfs");
  expectError(pull(true), Code::kAlreadyExists, "already holds a bundle");
}

TEST_F(ImagePull, TamperedLayerBlobFailsAndLeavesNothingBehind) {
  // Copy the layout and flip one byte of the largest blob (a layer).
  auto copy = dir_->path() / "tampered";
  std::filesystem::copy(layout(), copy, std::filesystem::copy_options::recursive);
  std::filesystem::path biggest;
  std::uintmax_t size = 0;
  for (const auto& e : std::filesystem::directory_iterator(copy / "blobs/sha256")) {
    if (e.file_size() > size) {
      size = e.file_size();
      biggest = e.path();
    }
  }
  {
    std::fstream f(biggest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x55');
  }
  auto source = openOciLayout(copy);
  ASSERT_TRUE(source);
  source_ = std::move(*source);
  auto r = pull(false);
  ASSERT_FALSE(r);
  // A flipped byte in a gzip stream fails decompression or the digest: both are data loss.
  EXPECT_EQ(r.error().code, Code::kDataLoss) << r.error().toString();
  EXPECT_NE(r.error().toString().find("layer "), std::string::npos) << r.error().toString();
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "bundle/rootfs"));
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "bundle/config.json"));
  // No partial layer: only complete layers (the untouched ones) may be in the store.
  for (const auto& e : std::filesystem::directory_iterator(store_->root() / "layers/sha256")) {
    EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos) << e.path();
  }
}

// The same image pushed with skopeo to Debian's docker-registry and pulled over HTTP,
// with the registry marked insecure in a registries.conf as the containers tools read it.
TEST_F(ImagePull, FromARealRegistryMatchesUmociUnpack) {
  auto storage = dir_->path() / "registry";
  std::filesystem::create_directories(storage);
  std::ofstream(dir_->path() / "registry.yml")
      << "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n"
      << "storage:\n  filesystem:\n    rootdirectory: " << storage.string()
      << "\nhttp:\n  addr: 127.0.0.1:0\n";
  auto peer = test::PeerProcess::start(
      {"docker-registry", "serve", (dir_->path() / "registry.yml").string()});
  ASSERT_TRUE(peer) << peer.error().toString();
  auto host =
      (*peer)->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", std::chrono::seconds(30));
  ASSERT_TRUE(host) << host.error().toString();
  auto pushed =
      test::runTool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                     "oci:" + layout().string() + ":tree", "docker://" + *host + "/test/tree:v1"});
  ASSERT_TRUE(pushed) << pushed.error().toString();
  auto conf = dir_->path() / "registries.conf";
  std::ofstream(conf) << "[[registry]]\nlocation = \"" << *host << "\"\ninsecure = true\n";

  SourceOptions source_options;
  source_options.registries_conf = conf;
  source_options.auth_file = dir_->path() / "no-auth.json";
  auto opened = openImageSource(*host + "/test/tree:v1", source_options);
  ASSERT_TRUE(opened) << opened.error().toString();
  PullOptions options;
  options.dest = dir_->path() / "bundle";
  auto result = pullImage(*opened->source, opened->reference, *store_, options);
  ASSERT_TRUE(result) << result.error().toString();
  EXPECT_EQ(result->reference, *host + "/test/tree:v1");
  EXPECT_GT(result->bytes_downloaded, 0u);
  expectSameTree(result->rootfs);

  auto missing = openImageSource(*host + "/test/tree:nope", source_options);
  expectError(missing, Code::kNotFound, "");
}

}  // namespace
}  // namespace cocoon::image
