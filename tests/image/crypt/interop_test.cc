// SPDX-License-Identifier: Apache-2.0
// Encrypted images end to end with real peers: images skopeo encrypts (jwe, RSA and EC)
// pull and unpack in cocoon; images cocoon encrypts decrypt with skopeo and unpack with
// umoci; the attestation-agent keyprovider against a real cocoon-kbs with the sample
// attester; and every tampering case fails cleanly with nothing unpacked. Trees are
// compared with `umoci unpack` of the unencrypted image (tests/support/tree_diff.py).
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "attest/kbs_client/kbs_client.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/jose/jwt.h"
#include "crypto/random.h"
#include "http/curl_client.h"
#include "http/peer_process.h"
#include "image/crypt/decrypt.h"
#include "image/crypt/encrypt.h"
#include "image/crypt/fixture.h"
#include "image/crypt/layout_destination.h"
#include "image/oci_layout_source.h"
#include "image/puller.h"
#include "json/json.h"
#include "kbs/daemon.h"
#include "support/expect.h"

namespace cocoon::image::crypt {
namespace {

using ::cocoon::test::expectError;

SubprocessResult run(std::vector<std::string> argv) {
  auto r = runSubprocess({.argv = std::move(argv), .timeout = std::chrono::seconds(120)});
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : SubprocessResult{};
}

// The KEK fetcher the confidential data hub will be: an attested KbsClient.
class KbsFetcher : public KeyResourceFetcher {
 public:
  explicit KbsFetcher(attest::KbsClient& client) : client_(client) {}
  Result<SecretBytes> getResource(std::string_view uri) override {
    std::lock_guard lock(mutex_);
    COCOON_ASSIGN_OR_RETURN(std::string path, parseKbsResourceUri(uri));
    if (client_.token().empty()) {
      attest::SampleAttester attester;
      COCOON_TRY(client_.attest(attester));
    }
    return client_.getResource(path);
  }

 private:
  std::mutex mutex_;
  attest::KbsClient& client_;
};

class ImageCrypt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      return;
    }
    auto dir = TempDir::create("image-crypt");
    ASSERT_TRUE(dir);
    suite_ = new TempDir(std::move(*dir));
    auto made = test::makePlainImage(suite_->path());
    ASSERT_TRUE(made) << made.error().toString();
    auto keys = test::writeKeyPairs(suite_->path(), {{"rsa", crypto::KeyType::kRsa},
                                                     {"ec", crypto::KeyType::kEcP256},
                                                     {"other", crypto::KeyType::kRsa}});
    ASSERT_TRUE(keys) << keys.error().toString();
    auto skopeo = run({"skopeo", "copy", "--quiet", "--encryption-key", "jwe:" + path("rsa.pub"),
                       "--encryption-key", "jwe:" + path("ec.pub"),
                       "oci:" + path("plain") + ":tree", "oci:" + path("skopeo-enc") + ":tree"});
    ASSERT_EQ(skopeo.exit_code, 0) << skopeo.stderr_data;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  static std::string path(std::string_view name) { return (suite_->path() / name).string(); }

  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (owners, device nodes, overlayfs mounts)";
    }
    auto dir = TempDir::create("crypt-case");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
  }
  void TearDown() override {
    if (dir_) {
      for (int i = 0; i < pulls_; ++i) {
        (void)removeBundle(dir_->path() / fmt::format("bundle{}", i));
      }
    }
  }

  static crypto::Key key(std::string_view file) {
    auto text = readTextFile(path(file), 1 << 16);
    EXPECT_TRUE(text);
    auto k = crypto::Key::fromPem(*text);
    EXPECT_TRUE(k) << k.error().toString();
    return *k;
  }

  // Pulls layout:tree into a fresh store and bundle.
  Result<PullResult> pull(const std::filesystem::path& layout, DecryptProvider* decrypt) {
    auto source = openOciLayout(layout);
    EXPECT_TRUE(source) << source.error().toString();
    int n = pulls_++;
    auto store = LayerStore::open(dir_->path() / fmt::format("store{}", n));
    EXPECT_TRUE(store);
    last_store_ = store->root();
    last_bundle_ = dir_->path() / fmt::format("bundle{}", n);
    PullOptions options;
    options.dest = last_bundle_;
    options.decrypt = decrypt;
    return pullImage(**source, *oci::parseReference("localhost/tree:tree"), *store, options);
  }
  Result<PullResult> pullWith(const std::filesystem::path& layout, std::vector<crypto::Key> keys) {
    KeyDecryptProvider provider({.private_keys = std::move(keys), .fetcher = nullptr});
    return pull(layout, &provider);
  }

  void expectSameTree(const std::filesystem::path& rootfs) {
    auto diff = run({"python3", COCOON_SOURCE_DIR "/tests/support/tree_diff.py",
                     path("umoci") + "/rootfs", rootfs.string()});
    EXPECT_EQ(diff.exit_code, 0) << diff.stdout_data << diff.stderr_data;
  }
  void expectNothingUnpacked() {
    EXPECT_FALSE(std::filesystem::exists(last_bundle_ / "rootfs"));
    EXPECT_FALSE(std::filesystem::exists(last_bundle_ / "config.json"));
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(last_store_, ec)) {
      EXPECT_EQ(e.path().string().find(".partial-"), std::string::npos) << e.path();
    }
  }

  // cocoon-encrypts the plain image to `name` for `recipients`.
  std::filesystem::path encrypt(std::string_view name, const EncryptRecipients& recipients) {
    auto out = dir_->path() / name;
    auto source = openOciLayout(path("plain"));
    EXPECT_TRUE(source);
    auto dest = test::makeLayoutDestination(out);
    auto r = encryptImage(**source, *oci::parseReference("localhost/plain:tree"), *dest, "tree",
                          recipients);
    EXPECT_TRUE(r) << r.error().toString();
    if (r) {
      EXPECT_EQ(r->layers, 3u);
    }
    return out;
  }

  // Rewrites layer `index` of layout:tree (blob bytes and/or descriptor JSON) and re-seals
  // the manifest and index digests, so the change reaches the decrypt stage.
  static void reseal(const std::filesystem::path& layout, std::size_t index,
                     const std::function<void(json::Json&, Bytes&)>& mutate) {
    auto blob = [&](const std::string& digest) {
      return layout / "blobs/sha256" / digest.substr(7);
    };
    auto index_json = *json::parseJson(*readTextFile(layout / "index.json", 1 << 20));
    std::string manifest_digest = index_json["manifests"][0]["digest"];
    auto manifest = *json::parseJson(*readTextFile(blob(manifest_digest), 1 << 20));
    json::Json& layer = manifest["layers"][index];
    Bytes data = *readFile(blob(layer["digest"]), 64 << 20);
    mutate(layer, data);
    std::string digest = oci::computeDigest(data).toString();
    ASSERT_TRUE(writeFileAtomic(blob(digest), data));
    layer["digest"] = digest;
    layer["size"] = data.size();
    std::string body = manifest.dump();
    std::string new_manifest = oci::computeDigest(asBytes(body)).toString();
    ASSERT_TRUE(writeFileAtomic(blob(new_manifest), asBytes(body)));
    index_json["manifests"][0]["digest"] = new_manifest;
    index_json["manifests"][0]["size"] = body.size();
    ASSERT_TRUE(writeFileAtomic(layout / "index.json", asBytes(index_json.dump())));
  }

  static TempDir* suite_;
  std::optional<TempDir> dir_;
  int pulls_ = 0;
  std::filesystem::path last_store_;
  std::filesystem::path last_bundle_;
};
TempDir* ImageCrypt::suite_ = nullptr;

TEST_F(ImageCrypt, SkopeoEncryptedImageUnpacksWithItsRsaOrEcKey) {
  for (const char* k : {"rsa.pem", "ec.pem"}) {
    auto result = pullWith(path("skopeo-enc"), {key(k)});
    ASSERT_TRUE(result) << k << ": " << result.error().toString();
    EXPECT_EQ(result->layers.size(), 3u);
    expectSameTree(result->rootfs);
  }
}

TEST_F(ImageCrypt, SkopeoEncryptedImageWithoutTheKeyUnpacksNothing) {
  auto wrong = pullWith(path("skopeo-enc"), {key("other.pem")});
  expectError(wrong, Code::kPermissionDenied, "no key to decrypt layer sha256:");
  EXPECT_NE(wrong.error().toString().find("jwe (1 entry)"), std::string::npos);
  expectNothingUnpacked();
  expectError(pull(path("skopeo-enc"), nullptr), Code::kFailedPrecondition,
              "no decryption key provider");
  expectNothingUnpacked();
}

TEST_F(ImageCrypt, CocoonEncryptedImageDecryptsWithSkopeoAndWithCocoon) {
  auto out =
      encrypt("cocoon-enc", {.jwe_public_keys = {key("rsa.pub"), key("ec.pub")}, .providers = {}});
  auto dec = dir_->path() / "skopeo-dec";
  auto copy = run({"skopeo", "copy", "--quiet", "--decryption-key", path("ec.pem"),
                   "oci:" + out.string() + ":tree", "oci:" + dec.string() + ":tree"});
  ASSERT_EQ(copy.exit_code, 0) << copy.stderr_data;
  auto unpacked = run({"umoci", "unpack", "--image", dec.string() + ":tree",
                       (dir_->path() / "skopeo-unpacked").string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.stderr_data;
  expectSameTree(dir_->path() / "skopeo-unpacked/rootfs");

  auto result = pullWith(out, {key("rsa.pem")});
  ASSERT_TRUE(result) << result.error().toString();
  expectSameTree(result->rootfs);
}

TEST_F(ImageCrypt, TamperedCiphertextFailsTheHmacAndUnpacksNothing) {
  auto out = encrypt("tampered", {.jwe_public_keys = {key("rsa.pub")}, .providers = {}});
  reseal(out, 0, [](json::Json&, Bytes& blob) { blob[blob.size() / 2] ^= 0x01; });
  // CTR flips exactly the plaintext bit, so gzip's CRC may notice before the end-of-stream
  // HMAC does: either way data loss in that layer (the HMAC alone: next test).
  expectError(pullWith(out, {key("rsa.pem")}), Code::kDataLoss, "layer 1/3");
  expectNothingUnpacked();
}

TEST_F(ImageCrypt, AlteredPuboptsHmacFailsAndUnpacksNothing) {
  auto out = encrypt("altered", {.jwe_public_keys = {key("rsa.pub")}, .providers = {}});
  reseal(out, 0, [](json::Json& layer, Bytes&) {
    layer["annotations"]["org.opencontainers.image.enc.pubopts"] =
        encodePublicOptions(Bytes(32, 1));
  });
  expectError(pullWith(out, {key("rsa.pem")}), Code::kDataLoss, "layer HMAC mismatch");
  expectNothingUnpacked();
}

TEST_F(ImageCrypt, StrippedAnnotationsAreRefusedByName) {
  auto out = encrypt("stripped", {.jwe_public_keys = {key("rsa.pub")}, .providers = {}});
  reseal(out, 1, [](json::Json& layer, Bytes&) {
    layer["annotations"].erase("org.opencontainers.image.enc.keys.jwe");
  });
  expectError(pullWith(out, {key("rsa.pem")}), Code::kInvalidArgument, "no wrapped keys");
  expectNothingUnpacked();
  reseal(out, 1, [](json::Json& layer, Bytes&) { layer.erase("annotations"); });
  expectError(pullWith(out, {key("rsa.pem")}), Code::kInvalidArgument, "no wrapped keys");
  expectNothingUnpacked();
}

// The keyprovider path: the KEK lives in a real cocoon-kbs (uploaded as a resource, as
// `cocoon kbs set-resource` does) and reaches the pull through an attested KbsClient.
TEST_F(ImageCrypt, KeyproviderImageUnpacksWithTheKekFromARealKbs) {
  auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pem", asBytes(admin->publicPem())));
  kbs::KbsConfig config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir_->path() / "kbs";
  config.admin_public_key = dir_->path() / "admin.pem";
  config.allow_sample = true;
  config.threads = 2;
  auto daemon = kbs::KbsDaemon::start(config);
  ASSERT_TRUE(daemon) << daemon.error().toString();
  const std::string url = "http://127.0.0.1:" + std::to_string((*daemon)->port());
  auto http = http::makeCurlHttpClient({});
  ASSERT_TRUE(http);

  SecretBytes kek = crypto::randomSecret(32);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto token = jose::signJwt({{"iat", now}, {"exp", now + 300}},
                             jose::JwsSigner{*admin, jose::JwsAlgorithm::kEdDsa});
  ASSERT_TRUE(token);
  http::Request put;
  put.method = "POST";
  put.url = url + "/kbs/v0/resource/default/image-key/tree";
  put.body = toString(kek.span());
  put.headers = {{"Authorization", "Bearer " + *token}};
  auto answer = (*http)->send(put, 1 << 20);
  ASSERT_TRUE(answer) << answer.error().toString();
  ASSERT_EQ(answer->status, 200) << toString(answer->body);

  auto out = encrypt("provider-enc", {.jwe_public_keys = {},
                                      .providers = {{"kbs:///default/image-key/tree", kek}}});
  auto tee_key = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(tee_key);
  attest::KbsClient client(url, *tee_key, **http);
  KbsFetcher fetcher(client);
  KeyDecryptProvider provider({.private_keys = {}, .fetcher = &fetcher});
  auto result = pull(out, &provider);
  ASSERT_TRUE(result) << result.error().toString();
  expectSameTree(result->rootfs);

  // The KBS holds another key under that name: the packet does not open.
  put.body = toString(crypto::randomBytes(32));
  ASSERT_EQ((*http)->send(put, 1 << 20)->status, 200);
  expectError(pull(out, &provider), Code::kPermissionDenied, "does not open the wrapped layer key");
  expectNothingUnpacked();
}

}  // namespace
}  // namespace cocoon::image::crypt
