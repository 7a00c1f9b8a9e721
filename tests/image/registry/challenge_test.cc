// SPDX-License-Identifier: Apache-2.0
// WWW-Authenticate challenge and token response parsing.
#include "image/registry/auth/challenge.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::registry::auth {
namespace {

using cocoon::test::expectError;
using std::chrono::seconds;

TEST(Challenge, ParsesDockerHubBearerChallenge) {
  // The example challenge of the distribution token spec.
  auto parsed =
      parseChallenges(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
                      R"(scope="repository:samalba/my-app:pull,push")");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  ASSERT_EQ(parsed->size(), 1U);
  EXPECT_EQ((*parsed)[0].scheme, "bearer");
  EXPECT_EQ((*parsed)[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ((*parsed)[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ((*parsed)[0].params.at("scope"), "repository:samalba/my-app:pull,push");
}

TEST(Challenge, ParsesSeveralChallengesInOneHeader) {
  auto parsed = parseChallenges(R"(Basic realm="a \"b\"", Bearer realm=x , Newauth)");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  ASSERT_EQ(parsed->size(), 3U);
  EXPECT_EQ((*parsed)[0].scheme, "basic");
  EXPECT_EQ((*parsed)[0].params.at("realm"), "a \"b\"");
  EXPECT_EQ((*parsed)[1].params.at("realm"), "x");
  EXPECT_EQ((*parsed)[2].scheme, "newauth");
}

TEST(Challenge, RejectsMalformedHeaders) {
  expectError(parseChallenges(R"(Bearer realm="unterminated)"), Code::kInvalidArgument,
              "unterminated quoted string at offset 13");
  expectError(parseChallenges(""), Code::kInvalidArgument, "no challenge");
  expectError(parseChallenges("=x"), Code::kInvalidArgument, "expected an auth scheme at offset 0");
  std::string many;
  for (int i = 0; i < 17; ++i) {
    many += "S" + std::to_string(i) + ", ";
  }
  expectError(parseChallenges(many), Code::kResourceExhausted, "more than 16 challenges");
}

TEST(TokenResponse, ReadsTokenOrAccessTokenAndExpiry) {
  auto a = parseTokenResponse(R"({"token":"abc","expires_in":300})", seconds(60));
  ASSERT_TRUE(a) << a.error().toString();
  EXPECT_EQ(a->token, "abc");
  EXPECT_EQ(a->expires_in, seconds(300));
  auto b = parseTokenResponse(R"({"access_token":"xyz"})", seconds(60));
  ASSERT_TRUE(b) << b.error().toString();
  EXPECT_EQ(b->token, "xyz");
  EXPECT_EQ(b->expires_in, seconds(60));
  // "forever" is held to a day: added to the steady clock's now, it must not overflow.
  auto c = parseTokenResponse(R"({"token":"abc","expires_in":9223372036854775807})", seconds(60));
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->expires_in, seconds(86400));
}

TEST(TokenResponse, RejectsMissingOrUnusableTokens) {
  expectError(parseTokenResponse("{}", seconds(60)), Code::kInvalidArgument,
              "no 'token' or 'access_token'");
  expectError(parseTokenResponse(R"({"token":"a b"})", seconds(60)), Code::kInvalidArgument,
              "not allowed in a header");
  expectError(parseTokenResponse(R"({"token":"a","expires_in":0})", seconds(60)),
              Code::kInvalidArgument, "expires_in must be positive, found 0");
  expectError(parseTokenResponse(R"({"token":7})", seconds(60)), Code::kInvalidArgument, "token");
  expectError(parseTokenResponse("[1]", seconds(60)), Code::kInvalidArgument, "not a JSON object");
}

}  // namespace
}  // namespace cocoon::image::registry::auth
