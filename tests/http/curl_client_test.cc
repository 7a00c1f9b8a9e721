// SPDX-License-Identifier: Apache-2.0
// CurlHttpClient against a loopback python peer (tests/support/registry/test_server.py).
#include "http/curl_client.h"

#include <chrono>
#include <optional>

#include <gtest/gtest.h>

#include "common/files.h"
#include "http/peer_process.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::http {
namespace {

using cocoon::test::expectError;
using cocoon::test::PeerProcess;
using std::chrono::milliseconds;

Bytes pattern(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::uint8_t>(i % 251);
  }
  return out;
}

class CurlClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::create("http-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    const std::string script = COCOON_SOURCE_DIR "/tests/support/registry/test_server.py";
    plain_ = startServer({"python3", script});
    ASSERT_NE(plain_, nullptr);
    // A self-signed certificate for 127.0.0.1: the https peer and its only trust anchor.
    cert_ = (dir_->path() / "cert.pem").string();
    const std::string key = (dir_->path() / "key.pem").string();
    auto made = cocoon::test::runTool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                       "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                                       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                       "-keyout", key, "-out", cert_});
    ASSERT_TRUE(made) << made.error().toString();
    tls_ = startServer({"python3", script, "--tls-cert", cert_, "--tls-key", key});
    ASSERT_NE(tls_, nullptr);
  }

  static void TearDownTestSuite() {
    plain_.reset();
    tls_.reset();
    dir_.reset();
  }

  static std::unique_ptr<PeerProcess> startServer(const std::vector<std::string>& argv) {
    auto peer = PeerProcess::start(argv);
    EXPECT_TRUE(peer) << peer.error().toString();
    if (!peer) {
      return nullptr;
    }
    auto port = (*peer)->waitForLine("^PORT ([0-9]+)", milliseconds(20'000));
    EXPECT_TRUE(port) << port.error().toString();
    if (!port) {
      return nullptr;
    }
    ports_.push_back(*port);
    return std::move(*peer);
  }

  static std::string url(std::string_view path) {
    return "http://127.0.0.1:" + ports_.at(0) + std::string(path);
  }
  static std::string tlsUrl(std::string_view path) {
    return "https://127.0.0.1:" + ports_.at(1) + std::string(path);
  }

  static std::unique_ptr<HttpClient> client(CurlClientOptions options = {}) {
    auto made = makeCurlHttpClient(options);
    EXPECT_TRUE(made) << made.error().toString();
    return made ? std::move(*made) : nullptr;
  }

  static Result<Response> get(HttpClient& c, const std::string& target,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.url = target;
    request.headers = std::move(headers);
    return c.send(request, 1 << 20);
  }

  static json::Json echoed(const Response& response) {
    auto parsed = json::parseJson(toString(response.body));
    EXPECT_TRUE(parsed) << parsed.error().toString();
    return parsed ? *parsed : json::Json();
  }

  static inline std::optional<TempDir> dir_;
  static inline std::unique_ptr<PeerProcess> plain_;
  static inline std::unique_ptr<PeerProcess> tls_;
  static inline std::vector<std::string> ports_;
  static inline std::string cert_;
};

TEST_F(CurlClientTest, GetReturnsStatusHeadersAndBody) {
  auto c = client();
  auto response = get(*c, url("/t/bytes?n=1000"));
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, pattern(1000));
  EXPECT_EQ(response->header("Content-Length"), "1000");
  EXPECT_EQ(response->headers.count("content-length"), 1U);
  EXPECT_EQ(response->effective_url, url("/t/bytes?n=1000"));
}

TEST_F(CurlClientTest, SendsHeadersAndPostBody) {
  auto c = client();
  Request request;
  request.method = "POST";
  request.url = url("/t/echo");
  request.headers = {{"X-Test", "value 1"}, {"Content-Type", "text/plain"}};
  request.body = "hello body";
  auto response = c->send(request, 1 << 20);
  ASSERT_TRUE(response) << response.error().toString();
  const json::Json echo = echoed(*response);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["body"], "hello body");
  EXPECT_EQ(echo["headers"]["x-test"], "value 1");
  EXPECT_FALSE(echo["headers"].contains("expect"));
}

TEST_F(CurlClientTest, HttpErrorStatusIsAResponse) {
  auto c = client();
  auto response = get(*c, url("/t/status?code=404"));
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(toString(response->body), "status 404");
}

TEST_F(CurlClientTest, RejectsBufferedBodyOverItsCap) {
  auto c = client();
  Request request;
  request.url = url("/t/bytes?n=2000");
  expectError(c->send(request, 1000), Code::kResourceExhausted, "exceeds the limit of 1000 bytes");
}

TEST_F(CurlClientTest, StreamDeliversTheBodyInOrderAfterTheHead) {
  auto c = client();
  Request request;
  request.url = url("/t/bytes?n=3000000");
  int heads = 0;
  Bytes received;
  auto response = c->stream(
      request,
      [&](const Response& head) {
        ++heads;
        EXPECT_EQ(head.status, 200);
        EXPECT_TRUE(received.empty());
        return okStatus();
      },
      [&](ByteSpan chunk) {
        received.insert(received.end(), chunk.begin(), chunk.end());
        return okStatus();
      });
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(heads, 1);
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(received, pattern(3000000));
}

TEST_F(CurlClientTest, StreamKeepsErrorBodiesAwayFromTheChunkCallback) {
  auto c = client();
  Request request;
  request.url = url("/t/status?code=503");
  int chunks = 0;
  int head_status = 0;
  auto response = c->stream(
      request,
      [&](const Response& head) {
        head_status = head.status;
        return okStatus();
      },
      [&](ByteSpan) {
        ++chunks;
        return okStatus();
      });
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(head_status, 503);
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(toString(response->body), "status 503");
}

TEST_F(CurlClientTest, ChunkCallbackErrorAbortsWithThatError) {
  auto c = client();
  Request request;
  request.url = url("/t/bytes?n=100000");
  expectError(c->stream(request, {}, [](ByteSpan) { return fail(Code::kCancelled, "enough"); }),
              Code::kCancelled, "enough");
  // The handle stays usable after an aborted transfer.
  auto again = get(*c, url("/t/bytes?n=10"));
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->body, pattern(10));
}

TEST_F(CurlClientTest, HeadCallbackErrorAbortsBeforeAnyChunk) {
  auto c = client();
  Request request;
  request.url = url("/t/bytes?n=100000");
  int chunks = 0;
  expectError(c->stream(
                  request, [](const Response&) { return fail(Code::kDataLoss, "bad head"); },
                  [&](ByteSpan) {
                    ++chunks;
                    return okStatus();
                  }),
              Code::kDataLoss, "bad head");
  EXPECT_EQ(chunks, 0);
}

TEST_F(CurlClientTest, RedirectOnSameOriginKeepsAuthorization) {
  auto c = client();
  auto response = get(*c, url("/t/redirect?to=/t/echo&code=307"), {{"Authorization", "Bearer t"}});
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->effective_url, url("/t/echo"));
  EXPECT_EQ(echoed(*response)["headers"]["authorization"], "Bearer t");
}

TEST_F(CurlClientTest, RedirectToAnotherHostDropsAuthorization) {
  auto c = client();
  const std::string target = "http://localhost:" + ports_.at(0) + "/t/echo";
  auto response =
      get(*c, url("/t/redirect?to=" + target), {{"authorization", "Bearer t"}, {"X-Keep", "1"}});
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(response->effective_url, target);
  const json::Json echo = echoed(*response);
  EXPECT_FALSE(echo["headers"].contains("authorization"));
  EXPECT_EQ(echo["headers"]["x-keep"], "1");
}

TEST_F(CurlClientTest, StopsAfterMaxRedirects) {
  CurlClientOptions options;
  options.max_redirects = 2;
  auto c = client(options);
  // /t/redirect without a target redirects to itself.
  expectError(get(*c, url("/t/redirect")), Code::kAborted, "more than 2 redirects");
}

TEST_F(CurlClientTest, ConnectionRefusedIsUnavailableAndNamesTheUrl) {
  auto c = client();
  const std::string target =
      "http://127.0.0.1:" + std::to_string(cocoon::test::closedLoopbackPort()) + "/v2/";
  expectError(get(*c, target), Code::kUnavailable, target);
}

TEST_F(CurlClientTest, NeverPrintsUrlCredentials) {
  auto c = client();
  const std::string port = std::to_string(cocoon::test::closedLoopbackPort());
  auto response = get(*c, "http://user:s3cret@127.0.0.1:" + port + "/x");
  expectError(response, Code::kUnavailable, "http://127.0.0.1:" + port + "/x");
  EXPECT_EQ(response.error().toString().find("s3cret"), std::string::npos);
}

TEST_F(CurlClientTest, ResetMidBodyIsUnavailable) {
  auto c = client();
  expectError(get(*c, url("/t/reset?n=5000")), Code::kUnavailable, "/t/reset?n=5000");
}

TEST_F(CurlClientTest, StalledPeerFailsWithinTheStallTimeout) {
  CurlClientOptions options;
  options.stall_timeout = milliseconds(500);
  auto c = client(options);
  const auto start = std::chrono::steady_clock::now();
  expectError(get(*c, url("/t/stall?n=100")), Code::kDeadlineExceeded,
              "stalled: no data for 500 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
}

TEST_F(CurlClientTest, TotalTimeoutBoundsTheCall) {
  CurlClientOptions options;
  options.total_timeout = milliseconds(400);
  auto c = client(options);
  const auto start = std::chrono::steady_clock::now();
  expectError(get(*c, url("/t/stall?n=100")), Code::kDeadlineExceeded, "/t/stall?n=100");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
}

TEST_F(CurlClientTest, ReusesTheConnectionBetweenCalls) {
  auto c = client();
  auto first = get(*c, url("/t/echo"));
  auto second = get(*c, url("/t/echo"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(echoed(*first)["client_port"], echoed(*second)["client_port"]);
}

TEST_F(CurlClientTest, RejectsNonHttpSchemesAndHeaderInjection) {
  auto c = client();
  expectError(get(*c, "file:///etc/passwd"), Code::kInvalidArgument, "unsupported URL scheme");
  expectError(get(*c, url("/t/echo"), {{"X-A", "v\r\nX-Injected: 1"}}), Code::kInvalidArgument,
              "X-A");
  Request request;
  request.method = "TRACE";
  request.url = url("/t/echo");
  expectError(c->send(request, 100), Code::kInvalidArgument, "TRACE");
}

TEST_F(CurlClientTest, RejectsUnreadableCaBundle) {
  CurlClientOptions options;
  options.ca_bundle_file = (dir_->path() / "missing.pem").string();
  expectError(makeCurlHttpClient(options), Code::kInvalidArgument, "missing.pem");
}

TEST_F(CurlClientTest, HttpsWithTheGivenCaBundle) {
  CurlClientOptions options;
  options.ca_bundle_file = cert_;
  auto c = client(options);
  auto response = get(*c, tlsUrl("/t/bytes?n=64"));
  ASSERT_TRUE(response) << response.error().toString();
  EXPECT_EQ(response->body, pattern(64));
}

TEST_F(CurlClientTest, HttpsPeerOutsideTheTrustedCasFailsVerification) {
  auto c = client();  // system CAs only
  expectError(get(*c, tlsUrl("/t/echo")), Code::kFailedPrecondition, tlsUrl("/t/echo"));
}

TEST_F(CurlClientTest, RefusesRedirectFromHttpsToHttp) {
  CurlClientOptions options;
  options.ca_bundle_file = cert_;
  auto c = client(options);
  expectError(get(*c, tlsUrl("/t/redirect?to=" + url("/t/echo"))), Code::kAborted,
              "refusing redirect");
}

}  // namespace
}  // namespace cocoon::http
