// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/jose_error.h"

#include <gtest/gtest.h>

#include "crypto/jose/algorithms.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using testing::failsWith;

TEST(JoseError, MapsReasonsToCanonicalCodes) {
  EXPECT_EQ(joseReasonCode(JoseReason::kMalformed), Code::kInvalidArgument);
  EXPECT_EQ(joseReasonCode(JoseReason::kBadBase64), Code::kInvalidArgument);
  EXPECT_EQ(joseReasonCode(JoseReason::kTooLarge), Code::kResourceExhausted);
  EXPECT_EQ(joseReasonCode(JoseReason::kUnsupportedAlgorithm), Code::kUnimplemented);
  EXPECT_EQ(joseReasonCode(JoseReason::kUnknownCritical), Code::kUnimplemented);
  EXPECT_EQ(joseReasonCode(JoseReason::kBadSignature), Code::kUnauthenticated);
  EXPECT_EQ(joseReasonCode(JoseReason::kDecryptionFailed), Code::kUnauthenticated);
  EXPECT_EQ(joseReasonCode(JoseReason::kExpired), Code::kUnauthenticated);
  EXPECT_EQ(joseReasonCode(JoseReason::kAlgorithmNotAllowed), Code::kUnauthenticated);
  EXPECT_EQ(joseReasonCode(JoseReason::kInvalidArgument), Code::kInvalidArgument);
}

TEST(JoseError, ConvertsToErrorWithReasonInMessage) {
  const Error error = JoseError{JoseReason::kExpired, "JWT expired at 5"};
  EXPECT_EQ(error.code, Code::kUnauthenticated);
  EXPECT_EQ(error.message, "jose EXPIRED: JWT expired at 5");
}

Status propagate() {
  COCOON_TRY(parseJwsAlgorithm("none"));
  return okStatus();
}

TEST(JoseError, CanBePropagatedThroughCocoonTry) {
  const Status status = propagate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::kUnimplemented);
  EXPECT_EQ(status.error().message,
            "jose UNSUPPORTED_ALGORITHM: JWS alg \"none\" (unsecured JWS) is never accepted");
}

TEST(JoseAlgorithms, NamesRoundTrip) {
  for (JwsAlgorithm alg : allJwsAlgorithms()) {
    EXPECT_EQ(*parseJwsAlgorithm(jwsAlgorithmName(alg)), alg);
  }
  for (KeyManagementAlgorithm alg : allKeyManagementAlgorithms()) {
    EXPECT_EQ(*parseKeyManagement(keyManagementName(alg)), alg);
  }
  for (ContentEncryption enc : allContentEncryptions()) {
    EXPECT_EQ(*parseContentEncryption(contentEncryptionName(enc)), enc);
  }
}

TEST(JoseAlgorithms, RefusesAlgorithmsWeDoNotImplement) {
  for (const char* name : {"none", "HS256", "HS512", "ES256K", "Ed25519", "rs256", ""}) {
    EXPECT_TRUE(failsWith(parseJwsAlgorithm(name), JoseReason::kUnsupportedAlgorithm)) << name;
  }
  for (const char* name : {"RSA1_5", "PBES2-HS256+A128KW", "A128GCMKW", "ECDH-1PU", "dir "}) {
    EXPECT_TRUE(failsWith(parseKeyManagement(name), JoseReason::kUnsupportedAlgorithm)) << name;
  }
  EXPECT_TRUE(failsWith(parseContentEncryption("A128CBC"), JoseReason::kUnsupportedAlgorithm));
}

TEST(JoseAlgorithms, KeyTypeRules) {
  using crypto::KeyType;
  EXPECT_TRUE(jwsAlgorithmFitsKey(JwsAlgorithm::kRs256, KeyType::kRsa));
  EXPECT_TRUE(jwsAlgorithmFitsKey(JwsAlgorithm::kPs512, KeyType::kRsa));
  EXPECT_FALSE(jwsAlgorithmFitsKey(JwsAlgorithm::kRs256, KeyType::kEcP256));
  EXPECT_FALSE(jwsAlgorithmFitsKey(JwsAlgorithm::kEs256, KeyType::kEcP384));
  EXPECT_TRUE(jwsAlgorithmFitsKey(JwsAlgorithm::kEs512, KeyType::kEcP521));
  EXPECT_FALSE(jwsAlgorithmFitsKey(JwsAlgorithm::kEdDsa, KeyType::kX25519));
  EXPECT_TRUE(keyManagementFitsKey(KeyManagementAlgorithm::kEcdhEsA256Kw, KeyType::kX25519));
  EXPECT_FALSE(keyManagementFitsKey(KeyManagementAlgorithm::kEcdhEs, KeyType::kEd25519));
  EXPECT_FALSE(keyManagementFitsKey(KeyManagementAlgorithm::kRsaOaep, KeyType::kEcP256));
  EXPECT_FALSE(keyManagementFitsKey(KeyManagementAlgorithm::kA256Kw, KeyType::kRsa));
}

}  // namespace
}  // namespace cocoon::jose
