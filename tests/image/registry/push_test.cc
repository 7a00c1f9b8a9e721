// SPDX-License-Identifier: Apache-2.0
// RegistryClient push against real docker-registry peers (open, htpasswd, token auth);
// what was pushed is read back with skopeo.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "http/curl_client.h"
#include "http/peer_process.h"
#include "image/registry/client.h"
#include "image/registry/registry_env.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image::registry {
namespace {

using cocoon::test::expectError;
using cocoon::test::runTool;

constexpr char kPushRepository[] = "pushed/app";

std::string sha256Digest(ByteSpan bytes) {
  return "sha256:" + hexEncode(crypto::sha256(bytes));
}

BodyProducer producerOf(const Bytes& bytes, std::size_t piece = 10'000) {
  return [&bytes, piece](const http::ChunkCallback& sink) -> Status {
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      COCOON_TRY(sink(ByteSpan(bytes).subspan(at, std::min(piece, bytes.size() - at))));
    }
    return okStatus();
  };
}

class RegistryPushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto env = test::RegistryEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
  }
  static void TearDownTestSuite() { env_.reset(); }
  void SetUp() override {
    ASSERT_NE(env_, nullptr);
    auto http = http::makeCurlHttpClient({});
    ASSERT_TRUE(http) << http.error().toString();
    http_ = std::move(*http);
  }
  std::unique_ptr<RegistryClient> client(const std::string& host,
                                         std::optional<Credentials> credentials = std::nullopt) {
    RegistryOptions options;
    options.upload_chunk_bytes = 64 * 1024;  // several PATCHes for the test blob
    options.sleep = [](std::chrono::milliseconds) {};
    return std::make_unique<RegistryClient>(Endpoint{host, true}, std::move(credentials), *http_,
                                            options);
  }
  // Pushes a config, a layer of `layer_bytes` random bytes and their manifest as
  // kPushRepository:v1.
  Status pushImage(RegistryClient& c, std::size_t layer_bytes) {
    layer_ = crypto::randomBytes(layer_bytes);
    config_ = toBytes(
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
    for (const Bytes* blob : {&config_, &layer_}) {
      COCOON_TRY(c.pushBlob(kPushRepository, sha256Digest(*blob), blob->size(), producerOf(*blob)));
    }
    manifest_ = fmt::format(
        R"({{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},)"
        R"("layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}})",
        sha256Digest(config_), config_.size(), sha256Digest(layer_), layer_.size());
    COCOON_ASSIGN_OR_RETURN(std::string digest,
                            c.putManifest(kPushRepository, "v1", manifest_,
                                          "application/vnd.oci.image.manifest.v1+json"));
    if (digest != sha256Digest(asBytes(manifest_))) {
      return fail(Code::kInternal, "putManifest returned {}", digest);
    }
    return okStatus();
  }

  static std::unique_ptr<test::RegistryEnv> env_;
  std::unique_ptr<http::HttpClient> http_;
  Bytes layer_;
  Bytes config_;
  std::string manifest_;
};
std::unique_ptr<test::RegistryEnv> RegistryPushTest::env_;

TEST_F(RegistryPushTest, ChunkedPushIsReadBackBySkopeo) {
  auto host = env_->openHost();
  ASSERT_TRUE(host) << host.error().toString();
  auto c = client(*host);
  // 200 KiB + 1: three full PATCH chunks and a one-byte PUT.
  ASSERT_TRUE(pushImage(*c, 200 * 1024 + 1));
  auto raw = runTool({"skopeo", "inspect", "--raw", "--tls-verify=false",
                      fmt::format("docker://{}/{}:v1", *host, kPushRepository)});
  ASSERT_TRUE(raw) << raw.error().toString();
  EXPECT_EQ(*raw, manifest_);
  cocoon::test::expectValue(c->hasBlob(kPushRepository, sha256Digest(layer_), layer_.size()), true);
  cocoon::test::expectValue(c->hasBlob(kPushRepository, sha256Digest(layer_), layer_.size() + 1),
                            false);
  auto layer = c->getBlob(kPushRepository, sha256Digest(config_));
  ASSERT_TRUE(layer) << layer.error().toString();
  EXPECT_EQ(*layer, config_);
}

TEST_F(RegistryPushTest, SmallBlobGoesInOnePut) {
  auto host = env_->openHost();
  ASSERT_TRUE(host) << host.error().toString();
  auto c = client(*host);
  ASSERT_TRUE(pushImage(*c, 1000));
  cocoon::test::expectValue(c->hasBlob(kPushRepository, sha256Digest(layer_), 1000), true);
}

TEST_F(RegistryPushTest, WrongSizeCancelsTheUpload) {
  auto host = env_->openHost();
  ASSERT_TRUE(host) << host.error().toString();
  auto c = client(*host);
  const Bytes blob = crypto::randomBytes(100'000);
  const std::string digest = sha256Digest(blob);
  expectError(c->pushBlob(kPushRepository, digest, blob.size() + 1, producerOf(blob)),
              Code::kDataLoss, fmt::format("{} bytes, expected {}", blob.size(), blob.size() + 1));
  expectError(c->pushBlob(kPushRepository, digest, blob.size() - 1, producerOf(blob)),
              Code::kDataLoss, "more than the expected");
  cocoon::test::expectValue(c->hasBlob(kPushRepository, digest, blob.size()), false);
  // A digest the bytes do not have is refused by the registry at the commit.
  const Bytes other = crypto::randomBytes(10);
  expectError(c->pushBlob(kPushRepository, digest, other.size(), producerOf(other)),
              Code::kDataLoss, "digest mismatch");
}

TEST_F(RegistryPushTest, HtpasswdRegistryNeedsCredentialsToPush) {
  auto host = env_->basicHost();
  ASSERT_TRUE(host) << host.error().toString();
  expectError(pushImage(*client(*host), 1000), Code::kUnauthenticated, "requires credentials");
  auto c = client(*host, Credentials{test::kUser, test::kPassword});
  ASSERT_TRUE(pushImage(*c, 1000));
  expectError(pushImage(*client(*host, Credentials{test::kUser, "wrong"}), 1000),
              Code::kUnauthenticated, "");
}

TEST_F(RegistryPushTest, TokenRegistryGrantsAPushScopedToken) {
  auto host = env_->tokenHost();
  ASSERT_TRUE(host) << host.error().toString();
  auto c = client(*host, Credentials{test::kUser, test::kPassword});
  ASSERT_TRUE(pushImage(*c, 100'000));
  cocoon::test::expectValue(c->hasBlob(kPushRepository, sha256Digest(layer_), layer_.size()), true);
}

}  // namespace
}  // namespace cocoon::image::registry
