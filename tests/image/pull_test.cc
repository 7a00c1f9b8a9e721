// SPDX-License-Identifier: Apache-2.0
// End-to-end pulls of a real multi-layer image (built by umoci) compared entry by entry
// with `umoci unpack` of the same image, and pulls within and over a space budget.
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

namespace fs = std::filesystem;
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

// A budget of a fixed number of bytes (or an error), counting how often it was asked.
class FixedBudget : public SpaceBudget {
 public:
  explicit FixedBudget(Result<std::uint64_t> bytes) : bytes_(std::move(bytes)) {}
  Result<std::uint64_t> available() const override {
    ++calls_;
    return bytes_;
  }
  std::string describe() const override { return "/the/store"; }
  int calls() const { return calls_; }

 private:
  Result<std::uint64_t> bytes_;
  mutable int calls_ = 0;
};

// PullOptions::space_budget: the fit check runs inside the pull, on the manifest and config
// the pull itself verified, before any layer blob is requested and before anything is
// written; the registry's own access log shows which requests a refused pull made.
class PullBudget : public ImagePull {
 protected:
  void SetUp() override {
    ImagePull::SetUp();
    if (IsSkipped()) {
      return;
    }
    auto resolved = resolveImage(*source_, ref_, oci::hostPlatform());
    ASSERT_TRUE(resolved) << resolved.error().toString();
    resolved_ = std::move(*resolved);
    ASSERT_EQ(resolved_.manifest.layers.size(), 3u);
    for (const auto& layer : resolved_.manifest.layers) {
      layer_bytes_ += static_cast<std::uint64_t>(layer.descriptor.size);
    }
  }
  fs::path bundle() const { return dir_->path() / "bundle"; }
  Result<PullResult> pull(ImageSource& source, const oci::Reference& ref, const SpaceBudget& budget,
                          bool flatten = false) {
    PullOptions options;
    options.dest = bundle();
    options.flatten = flatten;
    options.space_budget = &budget;
    return pullImage(source, ref, *store_, options);
  }
  std::string tooLarge(const std::string& ref, std::size_t to_fetch, std::uint64_t free) const {
    return fmt::format(
        "image {} ({} of 3 layers to fetch, compressed size; unpacked they take more) needs at "
        "least {} bytes in /the/store but only {} are free",
        ref, to_fetch, layer_bytes_, free);
  }
  // Pulls that stopped before any layer left no layer, partial or not, and no bundle.
  void expectNothingWritten() {
    EXPECT_FALSE(fs::exists(bundle()));
    std::size_t layers = 0;
    if (fs::exists(store_->root() / "layers")) {
      for (const auto& e : fs::recursive_directory_iterator(store_->root() / "layers")) {
        layers += e.is_directory() && e.path().parent_path().filename() == "sha256" ? 1 : 0;
      }
    }
    EXPECT_EQ(layers, 0u);
    auto images = store_->listImages();
    ASSERT_TRUE(images) << images.error().toString();
    EXPECT_TRUE(images->empty());
  }

  oci::Reference ref_ = *oci::parseReference("localhost/tree:tree");
  ResolvedImage resolved_;
  std::uint64_t layer_bytes_ = 0;
};

TEST_F(PullBudget, LayersThatFitExactlyArePulledAndTheBudgetIsAskedOnce) {
  FixedBudget budget(layer_bytes_);
  auto result = pull(*source_, ref_, budget);
  ASSERT_TRUE(result) << result.error().toString();
  EXPECT_EQ(result->bytes_downloaded, layer_bytes_);
  EXPECT_EQ(budget.calls(), 1);
}

TEST_F(PullBudget, LayersOverTheBudgetAreResourceExhaustedAndNothingIsWritten) {
  FixedBudget budget(layer_bytes_ - 1);
  expectError(pull(*source_, ref_, budget), Code::kResourceExhausted,
              tooLarge(ref_.toString(), 3, layer_bytes_ - 1));
  expectNothingWritten();
}

TEST_F(PullBudget, LayersTheStoreHoldsAreNotCounted) {
  FixedBudget enough(layer_bytes_);
  ASSERT_TRUE(pull(*source_, ref_, enough));
  ASSERT_TRUE(removeBundle(bundle()));
  FixedBudget none(0);
  auto again = pull(*source_, ref_, none);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->bytes_downloaded, 0u);
  EXPECT_EQ(none.calls(), 1);
}

TEST_F(PullBudget, FlattenCountsEveryLayerEvenWhenTheStoreHoldsThem) {
  // A flattened rootfs applies every layer again: the store's copies are not used.
  FixedBudget enough(layer_bytes_);
  ASSERT_TRUE(pull(*source_, ref_, enough));
  ASSERT_TRUE(removeBundle(bundle()));
  FixedBudget short_by_one(layer_bytes_ - 1);
  expectError(pull(*source_, ref_, short_by_one, /*flatten=*/true), Code::kResourceExhausted,
              tooLarge(ref_.toString(), 3, layer_bytes_ - 1));
  EXPECT_FALSE(fs::exists(bundle() / "rootfs"));
}

TEST_F(PullBudget, ABudgetThatCannotBeMeasuredFailsThePull) {
  FixedBudget broken(fail(Code::kNotFound, "statvfs /the/store: No such file or directory"));
  expectError(pull(*source_, ref_, broken), Code::kNotFound, "statvfs /the/store");
  expectNothingWritten();
}

// docker-registry with its access log on: every request it served is one line.
class LoggingRegistry {
 public:
  static Result<LoggingRegistry> start(const fs::path& dir) {
    COCOON_TRY(createDirectories(dir / "storage"));
    const std::string config = fmt::format(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n"
        "storage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
        (dir / "storage").string());
    COCOON_TRY(writeFileAtomic(dir / "registry.yml", asBytes(config)));
    LoggingRegistry out;
    COCOON_ASSIGN_OR_RETURN(out.peer_, cocoon::test::PeerProcess::start(
                                           {"docker-registry", "serve", dir / "registry.yml"}));
    COCOON_ASSIGN_OR_RETURN(
        out.host_,
        out.peer_->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", std::chrono::seconds(30)));
    return out;
  }
  const std::string& host() const { return host_; }
  // GET requests the registry logged for `path` (under /v2/), up to a sentinel request
  // made now: its log line comes after those of every request answered before it.
  Result<int> gets(const std::string& path, ImageSource& source, const std::string& sentinel) {
    (void)source.manifest(sentinel, 1 << 20);  // 404: only its log line matters
    COCOON_TRY(peer_->waitForLine("\"GET /v2/test/tree/manifests/" + sentinel + " ",
                                  std::chrono::seconds(30)));
    const std::string log = peer_->output();
    const std::string needle = "\"GET /v2/" + path + " HTTP/";
    int n = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  std::unique_ptr<cocoon::test::PeerProcess> peer_;
  std::string host_;
};

TEST_F(PullBudget, OverBudgetPullFromARegistryRequestsNoLayerBlob) {
  auto registry = LoggingRegistry::start(dir_->path() / "registry");
  ASSERT_TRUE(registry) << registry.error().toString();
  const std::string image = registry->host() + "/test/tree:v1";
  ASSERT_TRUE(test::runTool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                             "oci:" + layout().string() + ":tree", "docker://" + image}));
  const fs::path conf = dir_->path() / "registries.conf";
  ASSERT_TRUE(writeFileAtomic(
      conf, asBytes(fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
                                registry->host()))));
  SourceOptions source_options{.registries_conf = conf, .auth_file = dir_->path() / "none.json"};
  auto layerGets = [&](ImageSource& source, const std::string& sentinel) {
    int total = 0;
    for (const auto& layer : resolved_.manifest.layers) {
      auto n =
          registry->gets("test/tree/blobs/" + layer.descriptor.digest.toString(), source, sentinel);
      EXPECT_TRUE(n) << n.error().toString();
      total += n ? *n : 0;
    }
    return total;
  };

  auto opened = openImageSource(image, source_options);
  ASSERT_TRUE(opened) << opened.error().toString();
  FixedBudget short_by_one(layer_bytes_ - 1);
  expectError(pull(*opened->source, opened->reference, short_by_one), Code::kResourceExhausted,
              tooLarge(image, 3, layer_bytes_ - 1));
  expectNothingWritten();
  EXPECT_EQ(layerGets(*opened->source, "sentinel-1"), 0);
  // The manifest (the probe of openImageSource) and the config, once each.
  auto manifests = registry->gets("test/tree/manifests/v1", *opened->source, "sentinel-1");
  ASSERT_TRUE(manifests);
  EXPECT_EQ(*manifests, 1);
  auto configs = registry->gets("test/tree/blobs/" + resolved_.config_digest.toString(),
                                *opened->source, "sentinel-1");
  ASSERT_TRUE(configs);
  EXPECT_EQ(*configs, 1);

  // The count is real: a pull within the budget requests each layer once.
  auto again = openImageSource(image, source_options);
  ASSERT_TRUE(again) << again.error().toString();
  FixedBudget enough(layer_bytes_);
  auto pulled = pull(*again->source, again->reference, enough);
  ASSERT_TRUE(pulled) << pulled.error().toString();
  EXPECT_EQ(layerGets(*again->source, "sentinel-2"), 3);
}

}  // namespace
}  // namespace cocoon::image
