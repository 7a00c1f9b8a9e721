// SPDX-License-Identifier: Apache-2.0
// The KBS's cache of verified bearer tokens: a hit never outlives the token's validity.
#include "kbs/internal/verified_tokens.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cocoon::kbs::internal {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(std::int64_t s) {
  return system_clock::time_point(seconds(s));
}

std::shared_ptr<const token::EarToken> tokenValid(std::int64_t iat, std::int64_t exp) {
  static const crypto::Key key = *crypto::Key::generate(crypto::KeyType::kEcP256);
  return std::make_shared<const token::EarToken>(token::EarToken{
      .claims = json::Json::object(),
      .profile = std::string(token::kEarProfile),
      .iat = iat,
      .exp = exp,
      .tee_pubkey = jose::Jwk{key, std::nullopt, std::nullopt, std::nullopt, {}},
  });
}

TEST(VerifiedTokens, ReturnsWhatWasAddedForTheSameBytesOnly) {
  VerifiedTokens cache(8);
  auto verified = tokenValid(100, 400);
  cache.add("a.b.c", verified, at(100));
  EXPECT_EQ(cache.find("a.b.c", at(200)), verified);
  EXPECT_EQ(cache.find("a.b.C", at(200)), nullptr);
  EXPECT_EQ(cache.find("a.b.c ", at(200)), nullptr);
}

TEST(VerifiedTokens, AnExpiredTokenIsNotReturnedAndIsForgotten) {
  VerifiedTokens cache(8);
  cache.add("t", tokenValid(100, 400), at(100));
  EXPECT_NE(cache.find("t", at(399)), nullptr);
  EXPECT_EQ(cache.find("t", at(400)), nullptr);  // exp is exclusive, as in verifyEarToken
  EXPECT_EQ(cache.size(), 0U);
}

TEST(VerifiedTokens, ATokenIsNotReturnedBeforeItsIssueTime) {
  VerifiedTokens cache(8);
  cache.add("t", tokenValid(100, 400), at(100));
  EXPECT_EQ(cache.find("t", at(99)), nullptr);  // a clock set back
}

TEST(VerifiedTokens, StaysWithinItsCapacityDroppingExpiredTokensFirst) {
  VerifiedTokens cache(2);
  cache.add("old", tokenValid(0, 50), at(0));
  cache.add("live", tokenValid(0, 500), at(0));
  cache.add("new", tokenValid(100, 500), at(100));  // full: "old" has expired and goes
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_NE(cache.find("live", at(100)), nullptr);
  EXPECT_NE(cache.find("new", at(100)), nullptr);
  cache.add("more", tokenValid(100, 500), at(100));  // full of live tokens: starts over
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_NE(cache.find("more", at(100)), nullptr);
}

TEST(VerifiedTokens, ZeroCapacityKeepsNothing) {
  VerifiedTokens cache(0);
  cache.add("t", tokenValid(0, 500), at(0));
  EXPECT_EQ(cache.find("t", at(1)), nullptr);
}

}  // namespace
}  // namespace cocoon::kbs::internal
