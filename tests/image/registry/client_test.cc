// SPDX-License-Identifier: Apache-2.0
// RegistryClient against real docker-registry peers (open, htpasswd, token auth) and a
// fault-injecting proxy; the image is built with umoci and pushed with skopeo.
#include "image/registry/client.h"

#include <chrono>

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "http/curl_client.h"
#include "image/registry/registry_env.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image::registry {
namespace {

using cocoon::test::expectError;
using std::chrono::milliseconds;
using test::kPassword;
using test::kRepository;
using test::kTag;
using test::kUser;

// Declares `const std::string name` from a Result<std::string>, or fails the test.
#define NEED_HOST(name, expr)                                     \
  auto name##_result = (expr);                                    \
  ASSERT_TRUE(name##_result) << name##_result.error().toString(); \
  const std::string name = *name##_result

constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";

std::string sha256Digest(ByteSpan bytes) {
  return "sha256:" + hexEncode(crypto::sha256(bytes));
}

class RegistryClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto env = test::RegistryEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
  }
  static void TearDownTestSuite() { env_.reset(); }

  void SetUp() override {
    ASSERT_NE(env_, nullptr);
    http::CurlClientOptions http_options;
    http_options.stall_timeout = milliseconds(1000);
    auto http = http::makeCurlHttpClient(http_options);
    ASSERT_TRUE(http) << http.error().toString();
    http_ = std::move(*http);
  }

  // The fault proxy, started on first use and cleared of earlier faults and stats.
  Result<std::string> proxyHost() {
    COCOON_ASSIGN_OR_RETURN(std::string host, env_->proxyHost());
    COCOON_TRY(control("/__reset", ""));
    return host;
  }

  // A client with a fake clock and a sleep that only records the backoff.
  std::unique_ptr<RegistryClient> client(const std::string& host,
                                         std::optional<Credentials> credentials = std::nullopt,
                                         RegistryOptions options = {}) {
    options.now = [this] { return now_; };
    options.sleep = [this](milliseconds wait) { sleeps_.push_back(wait); };
    return std::make_unique<RegistryClient>(Endpoint{host, true}, std::move(credentials), *http_,
                                            std::move(options));
  }

  // POSTs (or GETs, with an empty body) a control endpoint of a python peer.
  Result<json::Json> control(const std::string& path, const std::string& body,
                             const std::string& base = "") {
    http::Request request;
    request.method = body.empty() ? "GET" : "POST";
    if (base.empty()) {
      COCOON_ASSIGN_OR_RETURN(std::string proxy, env_->proxyHost());
      request.url = "http://" + proxy + path;
    } else {
      request.url = base + path;
    }
    request.body = body;
    COCOON_ASSIGN_OR_RETURN(http::Response response, http_->send(request, 1 << 20));
    if (response.body.empty()) {
      return json::Json();
    }
    return json::parseJson(toString(response.body));
  }

  void fault(const std::string& spec) { ASSERT_TRUE(control("/__fault", spec)); }

  json::Json proxyStats() {
    auto stats = control("/__stats", "");
    EXPECT_TRUE(stats) << stats.error().toString();
    return stats ? *stats : json::Json();
  }

  std::int64_t tokensIssued() {
    auto stats = control("/__stats", "", env_->tokenUrl());
    EXPECT_TRUE(stats) << stats.error().toString();
    return stats ? (*stats)["issued"].get<std::int64_t>() : -1;
  }

  // Streams the layer and returns the bytes received.
  Result<Bytes> streamLayer(RegistryClient& c, std::uint64_t expected_size) {
    Bytes out;
    COCOON_ASSIGN_OR_RETURN(
        std::uint64_t n,
        c.streamBlob(kRepository, env_->image().layer_digest, expected_size, [&](ByteSpan chunk) {
          out.insert(out.end(), chunk.begin(), chunk.end());
          return okStatus();
        }));
    EXPECT_EQ(n, out.size());
    return out;
  }

  void expectWholeLayer(const Result<Bytes>& layer) {
    ASSERT_TRUE(layer) << layer.error().toString();
    EXPECT_EQ(layer->size(), env_->image().layer_size);
    EXPECT_EQ(sha256Digest(*layer), env_->image().layer_digest);
  }

  static inline std::unique_ptr<test::RegistryEnv> env_;
  std::unique_ptr<http::HttpClient> http_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  std::vector<milliseconds> sleeps_;
};

TEST_F(RegistryClientTest, PingsTheV2Endpoint) {
  NEED_HOST(open, env_->openHost());
  NEED_HOST(token, env_->tokenHost());
  EXPECT_TRUE(client(open)->ping());
  EXPECT_TRUE(client(token)->ping());  // a 401 at /v2/ is fine
}

TEST_F(RegistryClientTest, GetsManifestByTagAndByDigest) {
  NEED_HOST(open, env_->openHost());
  auto c = client(open);
  auto by_tag = c->getManifest(kRepository, kTag, {kOciManifest});
  ASSERT_TRUE(by_tag) << by_tag.error().toString();
  EXPECT_EQ(by_tag->digest, env_->image().manifest_digest);
  EXPECT_EQ(sha256Digest(by_tag->bytes), env_->image().manifest_digest);
  EXPECT_EQ(by_tag->media_type, kOciManifest);
  auto by_digest = c->getManifest(kRepository, env_->image().manifest_digest, {kOciManifest});
  ASSERT_TRUE(by_digest) << by_digest.error().toString();
  EXPECT_EQ(by_digest->bytes, by_tag->bytes);
}

TEST_F(RegistryClientTest, GetsConfigBlobCheckedAgainstItsDigest) {
  NEED_HOST(open, env_->openHost());
  auto config = client(open)->getBlob(kRepository, env_->image().config_digest);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(sha256Digest(*config), env_->image().config_digest);
  EXPECT_TRUE(json::parseJson(toString(*config)));
}

TEST_F(RegistryClientTest, StreamsLayerBlob) {
  NEED_HOST(open, env_->openHost());
  auto c = client(open);
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
}

TEST_F(RegistryClientTest, UnknownTagIsNotFoundNamingRepositoryAndReference) {
  NEED_HOST(open, env_->openHost());
  expectError(client(open)->getManifest(kRepository, "nope", {kOciManifest}), Code::kNotFound,
              "manifest nope not found in repository test/app");
  const std::string missing = "sha256:" + std::string(64, '0');
  expectError(client(open)->getBlob(kRepository, missing), Code::kNotFound,
              "blob " + missing + " not found in repository test/app");
}

TEST_F(RegistryClientTest, EnforcesManifestAndBlobCaps) {
  NEED_HOST(open, env_->openHost());
  RegistryOptions options;
  options.max_manifest_bytes = 100;
  options.max_blob_bytes = 10;
  auto c = client(open, std::nullopt, options);
  expectError(c->getManifest(kRepository, kTag, {kOciManifest}), Code::kResourceExhausted,
              "limit of 100 bytes");
  expectError(c->getBlob(kRepository, env_->image().config_digest), Code::kResourceExhausted,
              "limit of 10 bytes");
}

TEST_F(RegistryClientTest, MoreBytesThanExpectedIsDataLoss) {
  NEED_HOST(open, env_->openHost());
  auto c = client(open);
  expectError(streamLayer(*c, env_->image().layer_size - 1), Code::kDataLoss,
              "more than the expected");
  expectError(
      streamLayer(*c, env_->image().layer_size + 1), Code::kDataLoss,
      fmt::format("after {} of {} bytes", env_->image().layer_size, env_->image().layer_size + 1));
}

TEST_F(RegistryClientTest, RejectsMalformedNamesBeforeAnyRequest) {
  auto c = client("127.0.0.1:1");  // nothing listens: any request would be kUnavailable
  expectError(c->getManifest("Test/App", kTag, {}), Code::kInvalidArgument,
              "invalid repository name 'Test/App'");
  expectError(c->getManifest("a/../b", kTag, {}), Code::kInvalidArgument, "invalid repository");
  expectError(c->getManifest(kRepository, "../x", {}), Code::kInvalidArgument, "invalid digest");
  expectError(c->getBlob(kRepository, "sha256:abc"), Code::kInvalidArgument,
              "invalid digest 'sha256:abc'");
  expectError(c->getBlob(kRepository, "md5:" + std::string(32, 'a')), Code::kInvalidArgument,
              "invalid digest");
}

TEST_F(RegistryClientTest, BasicAuthWithCredentials) {
  NEED_HOST(basic, env_->basicHost());
  auto c = client(basic, Credentials{kUser, kPassword});
  EXPECT_TRUE(c->ping());
  auto manifest = c->getManifest(kRepository, kTag, {kOciManifest});
  ASSERT_TRUE(manifest) << manifest.error().toString();
  EXPECT_EQ(manifest->digest, env_->image().manifest_digest);
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
}

TEST_F(RegistryClientTest, BasicAuthWithoutCredentialsIsUnauthenticated) {
  NEED_HOST(basic, env_->basicHost());
  expectError(client(basic)->getManifest(kRepository, kTag, {kOciManifest}), Code::kUnauthenticated,
              "registry " + basic + " requires credentials for repository test/app");
}

TEST_F(RegistryClientTest, BasicAuthWithWrongPasswordIsRejected) {
  NEED_HOST(basic, env_->basicHost());
  auto result = client(basic, Credentials{kUser, "wrong-secret"})
                    ->getManifest(kRepository, kTag, {kOciManifest});
  expectError(result, Code::kUnauthenticated, "rejected the credentials of user 'puller'");
  EXPECT_EQ(result.error().toString().find("wrong-secret"), std::string::npos);
}

TEST_F(RegistryClientTest, BearerTokenIsFetchedOnceAndCachedUntilExpiry) {
  NEED_HOST(token, env_->tokenHost());
  ASSERT_TRUE(control("/__config", R"({"field": "token", "expires_in": 300})", env_->tokenUrl()));
  auto c = client(token, Credentials{kUser, kPassword});
  const std::int64_t before = tokensIssued();
  auto manifest = c->getManifest(kRepository, kTag, {kOciManifest});
  ASSERT_TRUE(manifest) << manifest.error().toString();
  EXPECT_EQ(manifest->digest, env_->image().manifest_digest);
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
  EXPECT_EQ(tokensIssued(), before + 1);

  now_ += std::chrono::seconds(299);
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  EXPECT_EQ(tokensIssued(), before + 1);
  now_ += std::chrono::seconds(2);  // past expires_in: a new token
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  EXPECT_EQ(tokensIssued(), before + 2);
}

TEST_F(RegistryClientTest, BearerAccessTokenFieldAndDefaultLifetime) {
  NEED_HOST(token, env_->tokenHost());
  ASSERT_TRUE(
      control("/__config", R"({"field": "access_token", "expires_in": null})", env_->tokenUrl()));
  auto c = client(token, Credentials{kUser, kPassword});
  const std::int64_t before = tokensIssued();
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  now_ += std::chrono::seconds(59);
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  EXPECT_EQ(tokensIssued(), before + 1);
  now_ += std::chrono::seconds(2);  // the spec's default lifetime is 60 s
  ASSERT_TRUE(c->getBlob(kRepository, env_->image().config_digest));
  EXPECT_EQ(tokensIssued(), before + 2);
  ASSERT_TRUE(control("/__config", R"({"field": "token", "expires_in": 300})", env_->tokenUrl()));
}

TEST_F(RegistryClientTest, BearerWithoutCredentialsIsUnauthenticated) {
  NEED_HOST(token, env_->tokenHost());
  // The token server hands out an anonymous token that grants nothing.
  expectError(client(token)->getManifest(kRepository, kTag, {kOciManifest}), Code::kUnauthenticated,
              "registry " + token + " requires credentials for repository test/app");
}

TEST_F(RegistryClientTest, BearerWithWrongPasswordIsRejectedByTheTokenServer) {
  NEED_HOST(token, env_->tokenHost());
  expectError(
      client(token, Credentials{kUser, "nope"})->getManifest(kRepository, kTag, {kOciManifest}),
      Code::kUnauthenticated, "rejected the credentials of user 'puller'");
}

TEST_F(RegistryClientTest, ResumesABlobCutMidway) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "cut", "match": "/blobs/", "after": 1048576})");
  auto c = client(proxy);
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
  const json::Json stats = proxyStats();
  ASSERT_EQ(stats.size(), 2U) << stats.dump();
  EXPECT_TRUE(stats[0]["range"].is_null());
  const std::string range = stats[1]["range"].get<std::string>();
  ASSERT_EQ(range.rfind("bytes=", 0), 0U) << range;
  const std::uint64_t resumed_at = std::stoull(range.substr(6));
  EXPECT_GT(resumed_at, 0U);
  EXPECT_LE(resumed_at, 1048576U);
  EXPECT_EQ(sleeps_.size(), 1U);
}

TEST_F(RegistryClientTest, ResumeAnsweredWithTheWholeBlobIsAborted) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "cut", "match": "/blobs/", "after": 1048576})");
  fault(R"({"kind": "norange", "match": "/blobs/"})");
  auto c = client(proxy);
  expectError(streamLayer(*c, env_->image().layer_size), Code::kAborted, "answered HTTP 200");
}

TEST_F(RegistryClientTest, RetriesServiceUnavailableWithBackoff) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "status", "status": 503, "match": "/blobs/", "count": 2})");
  fault(R"({"kind": "status", "status": 429, "match": "/manifests/", "count": 1})");
  RegistryOptions options;
  options.initial_backoff = milliseconds(100);
  auto c = client(proxy, std::nullopt, options);
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
  // Retry-After: 0 from the proxy wins over the exponential backoff.
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(0), milliseconds(0)}));
  ASSERT_TRUE(c->getManifest(kRepository, kTag, {kOciManifest}));
  EXPECT_EQ(sleeps_.size(), 3U);
}

TEST_F(RegistryClientTest, GivesUpAfterMaxAttempts) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "status", "status": 503, "match": "/blobs/", "count": 10})");
  RegistryOptions options;
  options.max_attempts = 3;
  auto c = client(proxy, std::nullopt, options);
  expectError(c->getBlob(kRepository, env_->image().config_digest), Code::kUnavailable,
              "answered HTTP 503 for");
  EXPECT_EQ(sleeps_.size(), 2U);
}

TEST_F(RegistryClientTest, ExponentialBackoffOnConnectionResets) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "cut", "match": "/manifests/", "after": 0, "count": 3})");
  RegistryOptions options;
  options.initial_backoff = milliseconds(100);
  options.max_backoff = milliseconds(300);
  auto c = client(proxy, std::nullopt, options);
  ASSERT_TRUE(c->getManifest(kRepository, kTag, {kOciManifest}));
  EXPECT_EQ(sleeps_,
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(300)}));
}

TEST_F(RegistryClientTest, StalledBlobFailsWithinTheStallTimeout) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "stall", "match": "/blobs/", "after": 100000})");
  auto c = client(proxy);
  const auto start = std::chrono::steady_clock::now();
  expectError(streamLayer(*c, env_->image().layer_size), Code::kDeadlineExceeded, "stalled");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
}

TEST_F(RegistryClientTest, FollowsRedirectToABlobStore) {
  NEED_HOST(proxy, proxyHost());
  fault(R"({"kind": "redirect", "match": "/blobs/"})");
  auto c = client(proxy);
  expectWholeLayer(streamLayer(*c, env_->image().layer_size));
  const json::Json stats = proxyStats();
  ASSERT_EQ(stats.size(), 2U) << stats.dump();
  EXPECT_TRUE(stats[1]["blobstore"].get<bool>());
}

TEST_F(RegistryClientTest, ConsumerErrorIsReturnedAndNotRetried) {
  NEED_HOST(proxy, proxyHost());
  auto c = client(proxy);
  expectError(c->streamBlob(kRepository, env_->image().layer_digest, env_->image().layer_size,
                            [](ByteSpan) { return fail(Code::kUnavailable, "consumer gone"); }),
              Code::kUnavailable, "consumer gone");
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(proxyStats().size(), 1U);
}

}  // namespace
}  // namespace cocoon::image::registry
