// SPDX-License-Identifier: Apache-2.0
#include "http/server/internal/parse.h"

#include <gtest/gtest.h>

namespace cocoon::http::server::internal {
namespace {

constexpr std::size_t kHeader = 1024;
constexpr std::size_t kBody = 64;

RequestError refusal(std::string_view bytes) {
  auto r = parseRequest(bytes, kHeader, kBody);
  EXPECT_FALSE(r) << bytes;
  return r ? RequestError{} : r.error();
}

TEST(ParseRequest, SplitsTargetAndKeepsHeadersAndBody) {
  auto r = parseRequest(
      "POST /kbs/v0/attest?x=1&y HTTP/1.1\r\nHost: k\r\nX-A: 1\r\nx-a: 2\r\n"
      "Content-Length: 4\r\n\r\nbody",
      kHeader, kBody);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/kbs/v0/attest");
  EXPECT_EQ(r->query, "x=1&y");
  EXPECT_EQ(r->headers.count("X-A"), 2u);
  EXPECT_EQ(r->headers.get("x-A"), "1");
  EXPECT_EQ(r->body, "body");
}

TEST(ParseRequest, RejectsDeclaredBodyOverTheLimitWithoutReadingIt) {
  // Only the header is given: the 413 comes from Content-Length alone.
  const auto e = refusal("POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 65\r\n\r\n");
  EXPECT_EQ(e.status, 413u);
  EXPECT_EQ(e.detail, "request body too large");
}

TEST(ParseRequest, RejectsChunkedBodyOverTheLimit) {
  const auto e = refusal(
      "POST / HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\n\r\n"
      "40\r\n" +
      std::string(64, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n");
  EXPECT_EQ(e.status, 413u);
}

TEST(ParseRequest, RejectsHeaderOverTheLimit) {
  const auto e =
      refusal("GET / HTTP/1.1\r\nHost: k\r\nX: " + std::string(kHeader, 'x') + "\r\n\r\n");
  EXPECT_EQ(e.status, 431u);
  EXPECT_EQ(e.detail, "request header too large");
}

TEST(ParseRequest, RejectsAmbiguousFraming) {
  EXPECT_EQ(refusal("POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .status,
            400u);
  EXPECT_EQ(refusal("POST / HTTP/1.1\r\nHost: k\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")
                .status,
            400u);
  const auto te = refusal(
      "POST / HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "0\r\n\r\n");
  EXPECT_EQ(te.status, 400u);
  EXPECT_EQ(te.detail, "Transfer-Encoding must be exactly chunked");
}

TEST(ParseRequest, RejectsMissingOrRepeatedHostAndNonOriginTargets) {
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\n\r\n").detail, "request needs exactly one Host header");
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400u);
  EXPECT_EQ(refusal("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").detail,
            "request target must be in origin form");
  EXPECT_EQ(refusal("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n").status, 400u);
  // HTTP/1.0 may omit Host.
  EXPECT_TRUE(parseRequest("GET / HTTP/1.0\r\n\r\n", kHeader, kBody));
}

TEST(ParseRequest, RejectsTruncationsAndGarbage) {
  const std::string full = "POST /a HTTP/1.1\r\nHost: k\r\nContent-Length: 3\r\n\r\nabc";
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(refusal(full.substr(0, n)).status, 400u) << "truncated at " << n;
  }
  EXPECT_EQ(refusal("GET / HTTP/9.9\r\nHost: k\r\n\r\n").status, 400u);
  EXPECT_EQ(refusal("G\x01T / HTTP/1.1\r\nHost: k\r\n\r\n").detail, "malformed request");
  EXPECT_EQ(
      refusal("GET / HTTP/1.1\r\nHost: k\r\nContent-Length: 18446744073709551616\r\n\r\n").status,
      400u);
}

TEST(SerializeHead, FramingIsOursAndBadHandlerFieldsAreDropped) {
  Response r = Response::json(200, "{}");
  r.headers.add("Content-Length", "99");
  r.headers.add("Connection", "upgrade");
  r.headers.add("X-Split", "a\r\nInjected: 1");
  r.headers.add("Bad Name", "v");
  std::size_t dropped = 0;
  const std::string head = serializeHead(r, 11, false, "id-1", &dropped);
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: id-1\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(r.body, "{}");
}

TEST(SerializeHead, Http10KeepAliveIsExplicitAnd204HasNoBody) {
  Response r = Response::text(204, "ignored");
  std::size_t dropped = 0;
  const std::string head = serializeHead(r, 10, true, "id-2", &dropped);
  EXPECT_EQ(head,
            "HTTP/1.0 204 No Content\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Request-Id: id-2\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(dropped, 0u);
}

}  // namespace
}  // namespace cocoon::http::server::internal
