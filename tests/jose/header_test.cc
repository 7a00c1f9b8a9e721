// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/header.h"

#include <gtest/gtest.h>

#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using testing::b64;
using testing::failsWith;

json::Json parse(std::string_view text) {
  return *json::parseJson(text);
}

JoseResult<JoseHeader> protectedOnly(std::string_view text, HeaderUse use = HeaderUse::kJws) {
  const json::Json header = parse(text);
  return buildJoseHeader(HeaderParts{&header, nullptr, nullptr}, use);
}

TEST(ProtectedHeader, DecodesAnObject) {
  auto header = decodeProtectedHeader(b64(R"({"alg":"ES256","kid":"k1"})"), {});
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ((*header)["kid"], "k1");
}

TEST(ProtectedHeader, RejectsBadBase64) {
  EXPECT_TRUE(failsWith(decodeProtectedHeader("eyJ!", {}), JoseReason::kBadBase64));
  EXPECT_TRUE(
      failsWith(decodeProtectedHeader("eyJhbGciOiJFUzI1NiJ9=", {}), JoseReason::kBadBase64));
  EXPECT_TRUE(failsWith(decodeProtectedHeader("e", {}), JoseReason::kBadBase64));
}

TEST(ProtectedHeader, RejectsNonObjectsAndMalformedJson) {
  EXPECT_TRUE(failsWith(decodeProtectedHeader(b64("[1]"), {}), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(decodeProtectedHeader(b64("\"alg\""), {}), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(decodeProtectedHeader(b64(R"({"alg":"ES256")"), {}), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(decodeProtectedHeader("", {}), JoseReason::kMalformed));
}

TEST(ProtectedHeader, RejectsDuplicateKeys) {
  auto header = decodeProtectedHeader(b64(R"({"alg":"ES256","alg":"none"})"), {});
  EXPECT_TRUE(failsWith(header, JoseReason::kDuplicateParameter));
}

TEST(ProtectedHeader, EnforcesSizeAndDepthCaps) {
  JoseLimits limits;
  limits.max_header_bytes = 32;
  EXPECT_TRUE(decodeProtectedHeader(b64(R"({"alg":"ES256"})"), limits));
  EXPECT_TRUE(
      failsWith(decodeProtectedHeader(b64(R"({"alg":"ES256","kid":"0123456789abcdef"})"), limits),
                JoseReason::kTooLarge));
  limits = {};
  limits.max_json_depth = 2;
  EXPECT_TRUE(failsWith(decodeProtectedHeader(b64(R"({"a":{"b":{"c":1}}})"), limits),
                        JoseReason::kTooLarge));
}

TEST(JoseHeader, CopiesRegisteredParametersAndKeepsUnknownOnes) {
  auto header = protectedOnly(R"({"alg":"ES256","kid":"k","typ":"JWT","cty":"x","ext":1})");
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->alg, "ES256");
  EXPECT_EQ(header->kid, "k");
  EXPECT_EQ(header->typ, "JWT");
  EXPECT_EQ(header->cty, "x");
  EXPECT_FALSE(header->enc);
  EXPECT_EQ(header->params["ext"], 1);
}

TEST(JoseHeader, RequiresAlgAndEncAsStrings) {
  EXPECT_TRUE(failsWith(protectedOnly(R"({"kid":"k"})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":256})"), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(protectedOnly(R"({"alg":"A128KW"})", HeaderUse::kJwe), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","kid":7})"), JoseReason::kMalformed));
  auto jwe = protectedOnly(R"({"alg":"A128KW","enc":"A128GCM"})", HeaderUse::kJwe);
  ASSERT_TRUE(jwe);
  EXPECT_EQ(jwe->enc, "A128GCM");
}

TEST(JoseHeader, RejectsAParameterInTwoParts) {
  const json::Json prot = parse(R"({"alg":"ES256"})");
  const json::Json shared = parse(R"({"kid":"a"})");
  const json::Json entry = parse(R"({"kid":"b"})");
  EXPECT_TRUE(failsWith(buildJoseHeader({&prot, &shared, &entry}, HeaderUse::kJws),
                        JoseReason::kDuplicateParameter));
  const json::Json alg_again = parse(R"({"alg":"RS256"})");
  EXPECT_TRUE(failsWith(buildJoseHeader({&prot, nullptr, &alg_again}, HeaderUse::kJws),
                        JoseReason::kDuplicateParameter));
  auto merged = buildJoseHeader({&prot, nullptr, &entry}, HeaderUse::kJws);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->kid, "b");
}

TEST(JoseHeader, RefusesEveryCriticalExtension) {
  // RFC 7515 §4.1.11: we implement no extension, so any listed name is unknown.
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","crit":["exp"],"exp":1})"),
                        JoseReason::kUnknownCritical));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","crit":["b64"],"b64":true})"),
                        JoseReason::kUnknownCritical));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","crit":[]})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","crit":"exp"})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","crit":[1]})"), JoseReason::kMalformed));
  const json::Json prot = parse(R"({"alg":"ES256"})");
  const json::Json entry = parse(R"({"crit":["exp"]})");
  EXPECT_TRUE(failsWith(buildJoseHeader({&prot, nullptr, &entry}, HeaderUse::kJws),
                        JoseReason::kMalformed));
}

TEST(JoseHeader, RefusesCompressionAndUnencodedPayloads) {
  EXPECT_TRUE(
      failsWith(protectedOnly(R"({"alg":"A128KW","enc":"A128GCM","zip":"DEF"})", HeaderUse::kJwe),
                JoseReason::kUnsupportedFeature));
  EXPECT_TRUE(
      failsWith(protectedOnly(R"({"alg":"ES256","b64":false})"), JoseReason::kUnsupportedFeature));
  EXPECT_TRUE(failsWith(protectedOnly(R"({"alg":"ES256","b64":"no"})"), JoseReason::kMalformed));
  EXPECT_TRUE(protectedOnly(R"({"alg":"ES256","b64":true})"));
}

TEST(JoseHeader, RejectsPartsThatAreNotObjects) {
  const json::Json prot = parse(R"({"alg":"ES256"})");
  const json::Json entry = parse(R"(["kid"])");
  EXPECT_TRUE(failsWith(buildJoseHeader({&prot, nullptr, &entry}, HeaderUse::kJws),
                        JoseReason::kMalformed));
}

}  // namespace
}  // namespace cocoon::jose
