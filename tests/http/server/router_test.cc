// SPDX-License-Identifier: Apache-2.0
#include "http/server/router.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::http::server {
namespace {

using cocoon::test::expectError;

Handler answer(std::string text) {
  return [text](const Request&) { return Response::text(200, text); };
}

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

// Routes `method path` and returns the handler's body, or "<status>" for a built-in answer.
std::string outcome(const Router& router, std::string method, std::string path) {
  const Request r = request(std::move(method), std::move(path));
  const auto match = router.route(r);
  return match.handler ? (*match.handler)(r).body : std::to_string(match.response.status);
}

TEST(Router, ExactRouteBeatsPrefixAndLongestPrefixWins) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/kbs/v0/resource/special", answer("exact")));
  ASSERT_TRUE(router.addPrefix("GET", "/kbs/v0/", answer("short")));
  ASSERT_TRUE(router.addPrefix("GET", "/kbs/v0/resource/", answer("long")));
  EXPECT_EQ(outcome(router, "GET", "/kbs/v0/resource/special"), "exact");
  EXPECT_EQ(outcome(router, "GET", "/kbs/v0/resource/a/b/c"), "long");
  EXPECT_EQ(outcome(router, "GET", "/kbs/v0/auth"), "short");
  EXPECT_EQ(outcome(router, "GET", "/kbs/v1"), "404");
  const Request r = request("GET", "/kbs/v0/resource/x");
  EXPECT_EQ(router.route(r).route, "/kbs/v0/resource/*");
}

TEST(Router, WrongMethodIs405WithSortedAllow) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/kbs/v0/auth", answer("auth")));
  ASSERT_TRUE(router.add("DELETE", "/kbs/v0/auth", answer("delete")));
  const Request r = request("GET", "/kbs/v0/auth");
  const auto match = router.route(r);
  ASSERT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.response.status, 405u);
  EXPECT_EQ(match.response.headers.get("Allow"), "DELETE, POST");
  EXPECT_EQ(match.route, "/kbs/v0/auth");
  // Methods are case-sensitive (RFC 9110 §9.1).
  EXPECT_EQ(outcome(router, "post", "/kbs/v0/auth"), "405");
}

TEST(Router, UnknownPathIs404LabelledUnmatched) {
  Router router;
  const Request r = request("GET", "/x");
  const auto match = router.route(r);
  EXPECT_EQ(match.response.status, 404u);
  EXPECT_EQ(match.route, "unmatched");
  EXPECT_EQ(match.response.body, R"({"detail":"no route for this path","error":"Not Found"})");
}

TEST(Router, CustomErrorResponderShapesBuiltInAnswers) {
  Router router([](unsigned status, std::string_view detail) {
    return Response::text(status, "custom " + std::string(detail));
  });
  EXPECT_EQ(router.route(request("GET", "/x")).response.body, "custom no route for this path");
}

TEST(Router, RejectsDuplicateAndInvalidRoutes) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/a", answer("a")));
  expectError(router.add("GET", "/a", answer("b")), Code::kAlreadyExists,
              "route GET /a is already registered");
  expectError(router.addPrefix("GET", "relative/", answer("b")), Code::kInvalidArgument,
              "route path 'relative/' must start with '/'");
  expectError(router.add("", "/b", answer("b")), Code::kInvalidArgument, "empty method");
  EXPECT_TRUE(router.addPrefix("GET", "/a", answer("prefix")));
}

TEST(Router, RouteLabelsListEveryLabelRouteCanReturn) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/a", answer("a")));
  ASSERT_TRUE(router.add("POST", "/a", answer("a")));
  ASSERT_TRUE(router.addPrefix("GET", "/p/", answer("p")));
  EXPECT_EQ(router.routeLabels(), (std::vector<std::string_view>{"unmatched", "/a", "/p/*"}));
  EXPECT_EQ(router.route(request("GET", "/p/x")).route, "/p/*");
}

}  // namespace
}  // namespace cocoon::http::server
