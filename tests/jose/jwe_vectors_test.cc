// SPDX-License-Identifier: Apache-2.0
// JWE against the published examples of RFC 7516 Appendix A and RFC 7520 §5.
#include <gtest/gtest.h>

#include "crypto/jose/jwe.h"
#include "crypto/jose/jwk.h"
#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using testing::failsWith;
using testing::plain;

JweKey asymmetric(std::string_view jwk) {
  return JweKey(parseJwk(jwk).value().key);
}

// An "oct" JWK (which parseJwk refuses) as a symmetric JweKey.
JweKey symmetric(std::string_view jwk) {
  const json::Json object = *json::parseJson(jwk);
  return JweKey::symmetric(SecretBytes(*base64UrlDecode(object["k"].get<std::string>())));
}

constexpr std::string_view kLiveLong = "Live long and prosper.";

TEST(JweRfc7516, A1RsaOaepWithA256Gcm) {
  auto jwe = decryptJweCompact(testing::kRfc7516A1Compact, asymmetric(testing::kRfc7516A1Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7516A1Plaintext);
  EXPECT_EQ(jwe->header.alg, "RSA-OAEP");
  EXPECT_EQ(jwe->header.enc, "A256GCM");
}

TEST(JweRfc7516, A2RsaPkcs1IsRefused) {
  EXPECT_TRUE(
      failsWith(decryptJweCompact(testing::kRfc7516A2Compact, asymmetric(testing::kRfc7516A1Key)),
                JoseReason::kUnsupportedAlgorithm));
}

TEST(JweRfc7516, A3AesKeyWrapWithA128CbcHs256) {
  auto jwe = decryptJweCompact(testing::kRfc7516A3Compact, symmetric(testing::kRfc7516A3Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), kLiveLong);
}

TEST(JweRfc7516, A4GeneralAndA5FlattenedSerializations) {
  // A.4's first recipient is RSA1_5 (refused); the A128KW one decrypts.
  auto general = decryptJweJson(testing::kRfc7516A4General, symmetric(testing::kRfc7516A3Key));
  ASSERT_TRUE(general) << general.error().message;
  EXPECT_EQ(plain(general->plaintext), kLiveLong);
  EXPECT_EQ(general->recipient_index, 1u);
  EXPECT_EQ(general->header.kid, "7");
  EXPECT_EQ(general->header.params["jku"], "https://server.example.com/keys.jwks");
  auto flat = decryptJweJson(testing::kRfc7516A5Flattened, symmetric(testing::kRfc7516A3Key));
  ASSERT_TRUE(flat) << flat.error().message;
  EXPECT_EQ(plain(flat->plaintext), kLiveLong);
  // Only RSA1_5 would fit an RSA key: that recipient's error is the answer.
  EXPECT_TRUE(
      failsWith(decryptJweJson(testing::kRfc7516A4General, asymmetric(testing::kRfc7516A1Key)),
                JoseReason::kUnsupportedAlgorithm));
}

TEST(JweRfc7520, Section51RsaPkcs1IsRefused) {
  EXPECT_TRUE(
      failsWith(decryptJweCompact(testing::kRfc7520S51Compact, asymmetric(testing::kRfc7520S52Key)),
                JoseReason::kUnsupportedAlgorithm));
}

TEST(JweRfc7520, Section52RsaOaepWithA256Gcm) {
  const JweKey key = asymmetric(testing::kRfc7520S52Key);
  auto compact = decryptJweCompact(testing::kRfc7520S52Compact, key);
  ASSERT_TRUE(compact) << compact.error().message;
  EXPECT_EQ(plain(compact->plaintext), testing::kRfc7520JwePlaintext);
  EXPECT_EQ(compact->header.kid, "samwise.gamgee@hobbiton.example");
  auto flat = decryptJweJson(testing::kRfc7520S52Flattened, key);
  ASSERT_TRUE(flat) << flat.error().message;
  EXPECT_EQ(plain(flat->plaintext), testing::kRfc7520JwePlaintext);
}

TEST(JweRfc7520, Section54EcdhEsA128KwOnP384) {
  auto jwe = decryptJweCompact(testing::kRfc7520S54Compact, asymmetric(testing::kRfc7520S54Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
  EXPECT_EQ(jwe->header.alg, "ECDH-ES+A128KW");
}

TEST(JweRfc7520, Section55DirectEcdhEsWithA128CbcHs256) {
  auto jwe = decryptJweCompact(testing::kRfc7520S55Compact, asymmetric(testing::kRfc7520S55Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
}

TEST(JweRfc7520, Section56DirectWithA128Gcm) {
  auto jwe = decryptJweCompact(testing::kRfc7520S56Compact, symmetric(testing::kRfc7520S56Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
}

TEST(JweRfc7520, Section58A128KwWithA128Gcm) {
  auto jwe = decryptJweCompact(testing::kRfc7520S58Compact, symmetric(testing::kRfc7520S58Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
}

TEST(JweRfc7520, Section59CompressionIsRefused) {
  auto jwe = decryptJweCompact(testing::kRfc7520S59Compact, symmetric(testing::kRfc7520S58Key));
  ASSERT_TRUE(failsWith(jwe, JoseReason::kUnsupportedFeature));
  EXPECT_EQ(jwe.error().message, "JWE header: \"zip\" (compressed plaintext) is not supported");
}

TEST(JweRfc7520, Section510AdditionalAuthenticatedData) {
  auto jwe = decryptJweJson(testing::kRfc7520S510General, symmetric(testing::kRfc7520S58Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
  EXPECT_EQ(toString(jwe->aad), testing::kRfc7520S510Aad);
  // The AAD is authenticated: another value fails the tag.
  json::Json changed = *json::parseJson(testing::kRfc7520S510General);
  changed["aad"] = testing::b64("[]");
  EXPECT_TRUE(
      failsWith(decryptJweJson(json::dumpCompact(changed), symmetric(testing::kRfc7520S58Key)),
                JoseReason::kDecryptionFailed));
}

TEST(JweRfc7520, Sections511And512UnprotectedHeaders) {
  auto specific = decryptJweJson(testing::kRfc7520S511General, symmetric(testing::kRfc7520S58Key));
  ASSERT_TRUE(specific) << specific.error().message;
  EXPECT_EQ(plain(specific->plaintext), testing::kRfc7520JwePlaintext);
  EXPECT_EQ(specific->header.alg, "A128KW");  // from the shared unprotected header
  auto none = decryptJweJson(testing::kRfc7520S512Flattened, symmetric(testing::kRfc7520S58Key));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(plain(none->plaintext), testing::kRfc7520JwePlaintext);
}

TEST(JweRfc7520, Section513MultipleRecipients) {
  // Recipients: RSA1_5 (refused), ECDH-ES+A256KW on the §5.4 P-384 key, A256GCMKW (refused).
  auto jwe = decryptJweJson(testing::kRfc7520S513General, asymmetric(testing::kRfc7520S54Key));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), testing::kRfc7520JwePlaintext);
  EXPECT_EQ(jwe->recipient_index, 1u);
  EXPECT_EQ(jwe->header.cty, "text/plain");
  // Another P-384 key: one recipient was tried and failed.
  const JweKey other(*crypto::Key::generate(crypto::KeyType::kEcP384));
  EXPECT_TRUE(failsWith(decryptJweJson(testing::kRfc7520S513General, other),
                        JoseReason::kDecryptionFailed));
  // A kid that no recipient has: every recipient is skipped before its alg is looked at.
  JweKey named = asymmetric(testing::kRfc7520S54Key);
  named.kid = "nobody@example";
  EXPECT_TRUE(
      failsWith(decryptJweJson(testing::kRfc7520S513General, named), JoseReason::kKeyNotFound));
  named.kid = "peregrin.took@tuckborough.example";
  EXPECT_TRUE(decryptJweJson(testing::kRfc7520S513General, named));
}

}  // namespace
}  // namespace cocoon::jose
