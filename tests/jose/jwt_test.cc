// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/jwt.h"

#include <chrono>

#include <gtest/gtest.h>

#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using std::chrono::seconds;
using testing::failsWith;
using Clock = std::chrono::system_clock;

Clock::time_point at(std::int64_t unix_seconds) {
  return Clock::time_point(seconds(unix_seconds));
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : key_(*Key::generate(crypto::KeyType::kEcP256)) {
    options_.allowed_algorithms = {JwsAlgorithm::kEs256};
    options_.issuer = "https://kbs.example";
    options_.audience = "guest";
  }

  std::string sign(const json::Json& claims) {
    return signJwt(claims, JwsSigner{key_, JwsAlgorithm::kEs256}).value();
  }

  json::Json validClaims() const {
    return {{"iss", "https://kbs.example"},
            {"aud", "guest"},
            {"exp", 2000},
            {"nbf", 1000},
            {"iat", 1000}};
  }

  JoseResult<VerifiedJwt> verify(const json::Json& claims, std::int64_t now) {
    return verifyJwt(sign(claims), key_.publicKey(), options_, at(now));
  }

  Key key_;
  JwtVerifyOptions options_;
};

TEST_F(JwtTest, AcceptsAValidToken) {
  auto jwt = verify(validClaims(), 1500);
  ASSERT_TRUE(jwt) << jwt.error().message;
  EXPECT_EQ(jwt->claims["iss"], "https://kbs.example");
  EXPECT_EQ(jwt->header.typ, "JWT");
}

TEST_F(JwtTest, ChecksExpiryWithLeeway) {
  // RFC 7519 §4.1.4: the current time must be before exp.
  EXPECT_TRUE(verify(validClaims(), 1999));
  EXPECT_TRUE(failsWith(verify(validClaims(), 2000), JoseReason::kExpired));
  options_.leeway_seconds = 30;
  EXPECT_TRUE(verify(validClaims(), 2029));
  EXPECT_TRUE(failsWith(verify(validClaims(), 2030), JoseReason::kExpired));
}

TEST_F(JwtTest, ChecksNotBeforeWithLeeway) {
  EXPECT_TRUE(verify(validClaims(), 1000));
  EXPECT_TRUE(failsWith(verify(validClaims(), 999), JoseReason::kNotYetValid));
  options_.leeway_seconds = 5;
  EXPECT_TRUE(verify(validClaims(), 995));
  EXPECT_TRUE(failsWith(verify(validClaims(), 994), JoseReason::kNotYetValid));
}

TEST_F(JwtTest, AcceptsFractionalNumericDates) {
  json::Json claims = validClaims();
  claims["exp"] = 1500.5;
  EXPECT_TRUE(verify(claims, 1500));
  EXPECT_TRUE(failsWith(verify(claims, 1501), JoseReason::kExpired));
}

TEST_F(JwtTest, RequiresNumericTimeClaims) {
  for (const char* name : {"exp", "nbf", "iat"}) {
    json::Json claims = validClaims();
    claims[name] = "2000";
    EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kInvalidClaim)) << name;
    claims[name] = true;
    EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kInvalidClaim)) << name;
  }
}

TEST_F(JwtTest, RequiresExpUnlessToldOtherwise) {
  json::Json claims = validClaims();
  claims.erase("exp");
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kMissingClaim));
  options_.require_exp = false;
  EXPECT_TRUE(verify(claims, 1500));
}

TEST_F(JwtTest, ChecksTheIssuer) {
  json::Json claims = validClaims();
  claims["iss"] = "https://evil.example";
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kWrongIssuer));
  claims["iss"] = 7;
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kInvalidClaim));
  claims.erase("iss");
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kMissingClaim));
  options_.issuer.reset();
  EXPECT_TRUE(verify(claims, 1500));
}

TEST_F(JwtTest, ChecksTheAudienceAsStringOrArray) {
  json::Json claims = validClaims();
  claims["aud"] = {"other", "guest"};
  EXPECT_TRUE(verify(claims, 1500));
  claims["aud"] = {"other"};
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kWrongAudience));
  claims["aud"] = "other";
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kWrongAudience));
  claims["aud"] = {"guest", 5};
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kInvalidClaim));
  claims["aud"] = 5;
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kInvalidClaim));
  claims.erase("aud");
  EXPECT_TRUE(failsWith(verify(claims, 1500), JoseReason::kMissingClaim));
}

TEST_F(JwtTest, RefusesAnAudienceNobodyExpects) {
  // RFC 7519 §4.1.3: a principal not named in "aud" must reject the token.
  options_.audience.reset();
  EXPECT_TRUE(failsWith(verify(validClaims(), 1500), JoseReason::kWrongAudience));
  json::Json claims = validClaims();
  claims.erase("aud");
  EXPECT_TRUE(verify(claims, 1500));
}

TEST_F(JwtTest, ChecksRequiredClaims) {
  options_.required_claims = {"submods"};
  EXPECT_TRUE(failsWith(verify(validClaims(), 1500), JoseReason::kMissingClaim));
  json::Json claims = validClaims();
  claims["submods"] = json::Json::object();
  EXPECT_TRUE(verify(claims, 1500));
}

TEST_F(JwtTest, SignatureChecksComeFirst) {
  const std::string token = sign(validClaims());
  const Key other = *Key::generate(crypto::KeyType::kEcP256);
  EXPECT_TRUE(failsWith(verifyJwt(token, other, options_, at(1500)), JoseReason::kBadSignature));
  options_.allowed_algorithms = {JwsAlgorithm::kEs384};
  EXPECT_TRUE(
      failsWith(verifyJwt(token, key_, options_, at(5000)), JoseReason::kAlgorithmNotAllowed));
}

TEST_F(JwtTest, RefusesPayloadsThatAreNotClaimSets) {
  for (std::string_view payload : {"[1,2]", "not json", "\"text\""}) {
    auto token = signJwsCompact(asBytes(payload), JwsSigner{key_, JwsAlgorithm::kEs256});
    EXPECT_TRUE(failsWith(verifyJwt(*token, key_, options_, at(1500)), JoseReason::kMalformed))
        << payload;
  }
  JwsSigner nested{key_, JwsAlgorithm::kEs256};
  nested.protected_params["cty"] = "JWT";
  auto token = signJwt(validClaims(), nested);
  EXPECT_TRUE(
      failsWith(verifyJwt(*token, key_, options_, at(1500)), JoseReason::kUnsupportedFeature));
  EXPECT_TRUE(failsWith(signJwt(json::Json::array(), JwsSigner{key_, JwsAlgorithm::kEs256}),
                        JoseReason::kInvalidArgument));
}

TEST_F(JwtTest, VerifiesWithAKeySetAndKeepsACustomTyp) {
  JwsSigner signer{key_, JwsAlgorithm::kEs256};
  signer.protected_params = {{"kid", "admin"}, {"typ", "at+jwt"}};
  auto token = signJwt(validClaims(), signer);
  ASSERT_TRUE(token);
  JwkSet set;
  set.keys.push_back(Jwk{key_.publicKey(), "admin", {}, {}, {}});
  auto jwt = verifyJwt(*token, set, options_, at(1500));
  ASSERT_TRUE(jwt) << jwt.error().message;
  EXPECT_EQ(jwt->header.typ, "at+jwt");
}

TEST(Jwt, Rfc7515A2TokenIsAnExpiredJwt) {
  // RFC 7515 A.2's payload is the RFC 7519 §3.1 claims set: iss "joe", exp 1300819380.
  JwtVerifyOptions options;
  options.allowed_algorithms = {JwsAlgorithm::kRs256};
  options.issuer = "joe";
  const Key key = parseJwk(testing::kRfc7515A2Key)->key.publicKey();
  auto valid = verifyJwt(testing::kRfc7515A2Compact, key, options, at(1300819379));
  ASSERT_TRUE(valid) << valid.error().message;
  EXPECT_EQ(valid->claims["http://example.com/is_root"], true);
  EXPECT_TRUE(failsWith(verifyJwt(testing::kRfc7515A2Compact, key, options, at(1300819380)),
                        JoseReason::kExpired));
}

}  // namespace
}  // namespace cocoon::jose
