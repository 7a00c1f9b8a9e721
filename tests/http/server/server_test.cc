// SPDX-License-Identifier: Apache-2.0
#include "http/server/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "http/server/server_fixture.h"
#include "http/server/test_client.h"
#include "support/expect.h"

namespace cocoon::http::server::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Sends half a request header; the server must close within the 200 ms read timeout.
void expectCutOffAfterAPartialHeader(Client& c) {
  ASSERT_FALSE(c.send("GET /health HTTP/1.1\r\nHost: t\r\n"));
  std::chrono::steady_clock::duration waited{};
  EXPECT_TRUE(c.waitForClose(&waited));
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 5s);
}

TEST_F(ServerTest, HealthAnswersOkWithRequestId) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(get("/health"));
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), R"({"status":"ok"})");
  EXPECT_EQ((*res)["Content-Type"], "application/json");
  EXPECT_EQ((*res)["X-Request-Id"].size(), 17u);
}

TEST_F(ServerTest, RoutesExactAndPrefixPaths) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto echo = c.roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(echo) << c.error.message();
  EXPECT_EQ(echo->result_int(), 200u);
  EXPECT_EQ(echo->body(), "hello");
  auto resource = c.roundTrip(get("/kbs/v0/resource/repo/key/tag%20x?a=1"));
  ASSERT_TRUE(resource) << c.error.message();
  EXPECT_EQ(resource->result_int(), 200u);
  EXPECT_EQ(resource->body(), "/kbs/v0/resource/repo/key/tag%20x?a=1");
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto missing = c.roundTrip(get("/nope"));
  ASSERT_TRUE(missing) << c.error.message();
  EXPECT_EQ(missing->result_int(), 404u);
  EXPECT_EQ(missing->body(), R"({"detail":"no route for this path","error":"Not Found"})");
  auto wrong = c.roundTrip(get("/echo"));
  ASSERT_TRUE(wrong) << c.error.message();
  EXPECT_EQ(wrong->result_int(), 405u);
  EXPECT_EQ((*wrong)["Allow"], "POST");
  EXPECT_TRUE(wrong->keep_alive());
}

TEST_F(ServerTest, KeepAliveReusesOneConnectionUntilConnectionClose) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  for (int i = 0; i < 3; ++i) {
    auto res = c.roundTrip(get("/health"));
    ASSERT_TRUE(res) << "request " << i << ": " << c.error.message();
    EXPECT_TRUE(res->keep_alive());
  }
  auto last = c.roundTrip(get("/health", "Connection: close\r\n"));
  ASSERT_TRUE(last) << c.error.message();
  EXPECT_FALSE(last->keep_alive());
  EXPECT_TRUE(c.waitForClose());
  EXPECT_THAT(metrics_.render(), HasSubstr("http_connections_open 0\n"));
}

// The read timeout is not only the first request's: the connection's deadline moves
// with each request (the server re-arms its timer lazily, not per request).
TEST_F(ServerTest, ReadTimeoutAppliesToALaterRequestOnAKeepAliveConnection) {
  auto options = testOptions();
  options.read_timeout = 200ms;
  options.idle_timeout = 30s;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_TRUE(c.roundTrip(get("/health"))) << c.error.message();
  ASSERT_TRUE(c.roundTrip(get("/health"))) << c.error.message();
  expectCutOffAfterAPartialHeader(c);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none" +
                      get("/kbs/v0/resource/a/b/c")));
  auto first = c.read();
  ASSERT_TRUE(first) << c.error.message();
  EXPECT_EQ(first->body(), "one");
  auto second = c.read();
  ASSERT_TRUE(second) << c.error.message();
  EXPECT_EQ(second->body(), "/kbs/v0/resource/a/b/c?");
}

TEST_F(ServerTest, RequestArrivingInPiecesIsAssembled) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  for (std::size_t at = 0; at < request.size(); at += 7) {
    ASSERT_FALSE(c.send(std::string_view(request).substr(at, 7)));
  }
  auto res = c.read();
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "hello world");
  EXPECT_TRUE(res->keep_alive());
}

TEST_F(ServerTest, BodyLimitByContentLengthAnswers413BeforeTheBodyIsSent) {
  auto options = testOptions();
  options.max_body_bytes = 1024;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  // No body byte is ever sent: the answer can only come from the declared length.
  auto res = c.roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n");
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 413u);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(ServerTest, BodyAtTheLimitIsAccepted) {
  auto options = testOptions();
  options.max_body_bytes = 1024;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" +
                         std::string(1024, 'x'));
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body().size(), 1024u);
}

TEST_F(ServerTest, BodyLimitByChunkedAnswers413) {
  auto options = testOptions();
  options.max_body_bytes = 1024;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  const std::string chunk = "200\r\n" + std::string(512, 'a') + "\r\n";
  auto res = c.roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         chunk + chunk + chunk);
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 413u);
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(ServerTest, ChunkedBodyWithinLimitIsDecoded) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->body(), "abcde");
}

TEST_F(ServerTest, HeaderLimitAnswers431AndCloses) {
  auto options = testOptions();
  options.max_header_bytes = 1024;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(get("/health", "X-Big: " + std::string(2000, 'b') + "\r\n"));
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 431u);
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(ServerTest, SlowHeaderIsCutOffAtTheReadTimeout) {
  auto options = testOptions();
  options.read_timeout = 200ms;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  expectCutOffAfterAPartialHeader(c);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  auto options = testOptions();
  options.idle_timeout = 200ms;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_TRUE(c.roundTrip(get("/health"))) << c.error.message();
  std::chrono::steady_clock::duration waited{};
  EXPECT_TRUE(c.waitForClose(&waited));
  EXPECT_GE(waited, 150ms);
}

// Each malformed or ambiguous request gets 400 and the connection closes, since the rest
// of the stream can no longer be framed safely.
TEST_F(ServerTest, MalformedRequestsGet400AndClose) {
  start();
  const std::vector<std::string> bad = {
      "GARBAGE\r\n\r\n",
      "GET /health HTTP/1.1\r\n\r\n",                               // no Host
      "GET http://example.com/health HTTP/1.1\r\nHost: t\r\n\r\n",  // absolute form
      "GET /health HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",         // two Hosts
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"     // smuggling
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",  // unknown coding
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /health HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
  };
  for (const auto& request : bad) {
    Client c;
    ASSERT_FALSE(c.connect(port_));
    auto res = c.roundTrip(request);
    ASSERT_TRUE(res) << request << ": " << c.error.message();
    EXPECT_EQ(res->result_int(), 400u) << request;
    EXPECT_FALSE(res->keep_alive()) << request;
    EXPECT_TRUE(c.waitForClose()) << request;
  }
}

TEST_F(ServerTest, HandlerExceptionBecomes500) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(get("/throw"));
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 500u);
  EXPECT_EQ(res->body(), R"({"detail":"internal error","error":"Internal Server Error"})");
  EXPECT_TRUE(c.roundTrip(get("/health")));
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBody) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_FALSE(c.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  std::string interim(25, '\0');
  boost::system::error_code ec;
  asio::read(c.socket(), asio::buffer(interim), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_FALSE(c.send("hello"));
  auto res = c.read();
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->body(), "hello");
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosedAndCounted) {
  auto options = testOptions();
  options.max_connections = 2;
  start(options);
  Client a;
  Client b;
  ASSERT_FALSE(a.connect(port_));
  ASSERT_FALSE(b.connect(port_));
  // A completed request proves the server has counted the connection.
  ASSERT_TRUE(a.roundTrip(get("/health"))) << a.error.message();
  ASSERT_TRUE(b.roundTrip(get("/health"))) << b.error.message();
  Client third;
  ASSERT_FALSE(third.connect(port_));
  EXPECT_TRUE(third.waitForClose());
  auto res = a.roundTrip(get("/metrics"));
  ASSERT_TRUE(res) << a.error.message();
  EXPECT_THAT(res->body(), HasSubstr("\nhttp_connections_rejected_total 1\n"));
  EXPECT_THAT(res->body(), HasSubstr("\nhttp_connections_open 2\n"));
}

TEST_F(ServerTest, MetricsExposeExactLinesForAKnownSequence) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  const std::string health = get("/health");
  const std::string missing = get("/missing");
  const std::string wrong = "POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
  const std::string scrape = get("/metrics");
  ASSERT_TRUE(c.roundTrip(health));
  ASSERT_TRUE(c.roundTrip(missing));
  ASSERT_TRUE(c.roundTrip(wrong));
  ASSERT_TRUE(c.roundTrip(health));
  auto res = c.roundTrip(scrape);
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ((*res)["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res->body();
  const std::vector<std::string> lines = {
      "# HELP http_requests_total HTTP requests answered.",
      "# TYPE http_requests_total counter",
      R"(http_requests_total{method="GET",route="/health",status="2xx"} 2)",
      R"(http_requests_total{method="GET",route="unmatched",status="4xx"} 1)",
      R"(http_requests_total{method="POST",route="/health",status="4xx"} 1)",
      "# TYPE http_request_duration_seconds histogram",
      R"(http_request_duration_seconds_bucket{route="/health",le="+Inf"} 3)",
      R"(http_request_duration_seconds_count{route="/health"} 3)",
      R"(http_request_duration_seconds_count{route="unmatched"} 1)",
      "# TYPE http_requests_in_flight gauge",
      "http_requests_in_flight 1",  // the scrape itself
      "http_connections_open 1",
      "http_connections_rejected_total 0",
      "http_received_bytes_total " +
          std::to_string(2 * health.size() + missing.size() + wrong.size() + scrape.size()),
  };
  for (const auto& line : lines) {
    EXPECT_THAT(text, HasSubstr("\n" + line + "\n")) << text;
  }
  // A scrape is not yet counted in its own output.
  EXPECT_THAT(text, Not(HasSubstr("route=\"/metrics\"")));
}

TEST_F(ServerTest, MetricsRouteCanBeTurnedOff) {
  auto options = testOptions();
  options.serve_metrics = false;
  start(options);
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(get("/metrics"));
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 404u);
  // The next request on the connection starts after the first was fully accounted.
  ASSERT_TRUE(c.roundTrip(get("/health")));
  EXPECT_THAT(metrics_.render(), HasSubstr("route=\"unmatched\",status=\"4xx\"} 1\n"));
}

TEST_F(ServerTest, AccessLogHasOneLinePerRequestWithoutSecrets) {
  std::ostringstream log;
  setLogSinkForTest(&log);
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer tok3n-secret\r\n"
      "Cookie: session=c00kie-secret\r\nConnection: close\r\nContent-Length: 11\r\n\r\n"
      "body-secret");
  ASSERT_TRUE(res) << c.error.message();
  const std::string id = std::string((*res)["X-Request-Id"]);
  // The server logs before it closes, so after the close the line is there.
  EXPECT_TRUE(c.waitForClose());
  server_->stop();
  setLogSinkForTest(nullptr);
  const std::string text = log.str();
  EXPECT_THAT(text, HasSubstr("[http] POST /echo 200 "));
  EXPECT_THAT(text, HasSubstr(" remote=127.0.0.1:"));
  EXPECT_THAT(text, HasSubstr(" id=" + id));
  EXPECT_THAT(text, Not(HasSubstr("secret")));
}

TEST_F(ServerTest, StopLetsAnInFlightRequestFinishThenRefusesConnections) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  Router router;
  ASSERT_TRUE(router.add("GET", "/slow", [&](const Request&) {
    entered.set_value();
    released.wait();
    return Response::text(200, "done");
  }));
  start(testOptions(), std::move(router));
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_FALSE(c.send(get("/slow")));
  entered.get_future().wait();
  std::thread stopper([this] { server_->stop(5s); });
  // Stop has begun once the listener refuses connections; only then finish the handler.
  for (int attempt = 0; attempt < 100000; ++attempt) {
    Client probe;
    if (probe.connect(port_)) {
      break;
    }
    std::this_thread::yield();
  }
  release.set_value();
  auto res = c.read();
  stopper.join();
  ASSERT_TRUE(res) << c.error.message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "done");
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.waitForClose());
  Client after;
  EXPECT_EQ(after.connect(port_), asio::error::connection_refused);
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnectionsWithoutWaitingForTheDeadline) {
  start();
  Client c;
  ASSERT_FALSE(c.connect(port_));
  auto res = c.roundTrip(get("/health"));
  ASSERT_TRUE(res) << c.error.message();
  ASSERT_TRUE(res->keep_alive());
  const auto before = std::chrono::steady_clock::now();
  server_->stop(30s);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(ServerTest, StartFailsWhenTheAddressIsInUse) {
  start();
  auto options = testOptions();
  options.listen = "127.0.0.1:" + std::to_string(port_);
  Server second(options, Router(), metrics_);
  cocoon::test::expectError(second.start(), Code::kUnavailable, options.listen);
}

TEST_F(ServerTest, StartRejectsBadOptions) {
  auto options = testOptions();
  options.listen = "127.0.0.1";
  cocoon::test::expectError(Server(options, Router(), metrics_).start(), Code::kInvalidArgument,
                            "is not host:port");
  options.listen = "example.com:80";
  cocoon::test::expectError(Server(options, Router(), metrics_).start(), Code::kInvalidArgument,
                            "must be an IP literal");
  options.listen = "127.0.0.1:70000";
  cocoon::test::expectError(Server(options, Router(), metrics_).start(), Code::kInvalidArgument,
                            "port must be 0..65535");
  options = testOptions();
  options.tls_cert_path = "/nonexistent/cert.pem";
  cocoon::test::expectError(Server(options, Router(), metrics_).start(), Code::kInvalidArgument,
                            "needs both");
  options.tls_key_path = "/nonexistent/key.pem";
  cocoon::test::expectError(Server(options, Router(), metrics_).start(), Code::kInvalidArgument,
                            "loading TLS certificate chain /nonexistent/cert.pem");
}

}  // namespace
}  // namespace cocoon::http::server::test
