// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/jwk.h"

#include <string>

#include <gtest/gtest.h>

#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using testing::failsWith;

// RFC 8037 A.6 (keys from RFC 7748 §6.1): Bob's static X25519 key.
constexpr std::string_view kX25519Bob =
    R"({"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08",)"
    R"("d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"})";

// Replaces the value of `member` in a compact JWK text (test inputs only).
std::string withMember(std::string_view jwk, std::string_view member, std::string_view value) {
  json::Json object = *json::parseJson(jwk);
  object[std::string(member)] = value;
  return json::dumpCompact(object);
}

std::string without(std::string_view jwk, std::string_view member) {
  json::Json object = *json::parseJson(jwk);
  object.erase(std::string(member));
  return json::dumpCompact(object);
}

TEST(JwkThumbprint, Rfc7638Example) {
  auto jwk = parseJwk(testing::kRfc7638RsaKey);
  ASSERT_TRUE(jwk) << jwk.error().message;
  EXPECT_EQ(jwkThumbprintBase64Url(jwk->key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(jwk->kid, "2011-04-29");
  EXPECT_EQ(jwk->alg, "RS256");
}

TEST(JwkThumbprint, Rfc7517EcKeyAndRfc8037Ed25519Key) {
  // Thumbprints as published with these keys by RFC 7517 A.1 (via RFC 7638) and RFC 8037 A.3.
  auto ec = parseJwk(testing::kRfc7517A1EcKey);
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_EQ(jwkThumbprintBase64Url(ec->key), "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
  EXPECT_EQ(ec->use, "enc");
  auto ed = parseJwk(testing::kRfc8037A1Key);
  ASSERT_TRUE(ed) << ed.error().message;
  EXPECT_EQ(jwkThumbprintBase64Url(ed->key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  // The thumbprint covers the public members only.
  EXPECT_EQ(jwkThumbprint(ed->key), jwkThumbprint(ed->key.publicKey()));
}

TEST(Jwk, ParsesEveryPublishedKeyType) {
  struct Case {
    std::string_view text;
    KeyType type;
    bool is_private;
  };
  const Case cases[] = {
      {testing::kRfc7515A2Key, KeyType::kRsa, true},
      {testing::kRfc7520RsaPublicKey, KeyType::kRsa, false},
      {testing::kRfc7515A3Key, KeyType::kEcP256, true},
      {testing::kRfc7520S54Key, KeyType::kEcP384, true},
      {testing::kRfc7520P521PublicKey, KeyType::kEcP521, false},
      {testing::kRfc7520P521PrivateKey, KeyType::kEcP521, true},
      {testing::kRfc8037A1Key, KeyType::kEd25519, true},
      {kX25519Bob, KeyType::kX25519, true},
  };
  for (const Case& c : cases) {
    auto jwk = parseJwk(c.text);
    ASSERT_TRUE(jwk) << c.text << ": " << jwk.error().message;
    EXPECT_EQ(jwk->key.type(), c.type) << c.text;
    EXPECT_EQ(jwk->key.hasPrivate(), c.is_private) << c.text;
  }
}

TEST(Jwk, RoundTripsGeneratedKeysOfEveryType) {
  for (KeyType type : {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521,
                       KeyType::kEd25519, KeyType::kX25519}) {
    auto key = Key::generate(type);
    ASSERT_TRUE(key);
    const Jwk jwk{*key, "kid-1", "none-such", "enc", {"encrypt", "decrypt"}};
    auto text = serializeJwk(jwk, JwkExport::kPrivate);
    ASSERT_TRUE(text) << text.error().message;
    auto parsed = parseJwk(*text);
    ASSERT_TRUE(parsed) << *text << ": " << parsed.error().message;
    EXPECT_TRUE(parsed->key.samePublicKey(*key));
    EXPECT_TRUE(parsed->key.hasPrivate());
    EXPECT_EQ(parsed->kid, "kid-1");
    EXPECT_EQ(parsed->use, "enc");
    EXPECT_EQ(parsed->key_ops, jwk.key_ops);
    EXPECT_EQ(*serializeJwk(*parsed, JwkExport::kPrivate), *text);
    auto public_text = serializeJwk(jwk);
    ASSERT_TRUE(public_text);
    EXPECT_EQ(public_text->find("\"d\""), std::string::npos);
    auto public_jwk = parseJwk(*public_text);
    ASSERT_TRUE(public_jwk) << public_jwk.error().message;
    EXPECT_FALSE(public_jwk->key.hasPrivate());
    EXPECT_EQ(jwkThumbprint(public_jwk->key), jwkThumbprint(*key));
  }
}

TEST(Jwk, SerializesRfcKeysBackToTheirMembers) {
  auto jwk = parseJwk(testing::kRfc7515A3Key);
  ASSERT_TRUE(jwk);
  EXPECT_EQ(*serializeJwk(*jwk, JwkExport::kPrivate),
            R"({"crv":"P-256","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",)"
            R"("kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
  auto rsa = parseJwk(testing::kRfc7520RsaPrivateKey);
  ASSERT_TRUE(rsa);
  EXPECT_EQ(*jwkToJson(*rsa, JwkExport::kPrivate), [] {
    json::Json expected = *json::parseJson(testing::kRfc7520RsaPrivateKey);
    return expected;
  }());
}

TEST(Jwk, RefusesToExportAMissingPrivatePart) {
  auto jwk = parseJwk(testing::kRfc7520P521PublicKey);
  ASSERT_TRUE(jwk);
  EXPECT_TRUE(failsWith(serializeJwk(*jwk, JwkExport::kPrivate), JoseReason::kInvalidArgument));
}

TEST(Jwk, RejectsStructuralErrors) {
  EXPECT_TRUE(failsWith(parseJwk("[]"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwk("{"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwk(without(testing::kRfc7515A3Key, "kty")), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwk(without(testing::kRfc7515A3Key, "y")), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "foo", "bar")),
                        JoseReason::kMalformed));
  // A parameter of another key type is an unknown member here.
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "n", "AQAB")), JoseReason::kMalformed));
  EXPECT_TRUE(parseJwk(withMember(testing::kRfc7515A3Key, "kid", "")));
  EXPECT_TRUE(failsWith(parseJwk(R"({"kty":"EC","crv":"P-256","kid":7,"x":"","y":""})"),
                        JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwk(R"({"kty":"EC","kty":"EC"})"), JoseReason::kDuplicateParameter));
  EXPECT_TRUE(failsWith(parseJwk(R"({"kty":"EC","crv":"P-256","key_ops":"sign"})"),
                        JoseReason::kMalformed));
}

TEST(Jwk, RejectsDuplicateKeyOps) {
  json::Json object = *json::parseJson(testing::kRfc7515A3Key);
  object["key_ops"] = {"sign", "sign"};
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(object)), JoseReason::kMalformed));
  object["key_ops"] = {"sign", 1};
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(object)), JoseReason::kMalformed));
}

TEST(Jwk, RefusesUnsupportedKeyTypesAndCurves) {
  EXPECT_TRUE(failsWith(parseJwk(R"({"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"})"),
                        JoseReason::kUnsupportedKey));
  EXPECT_TRUE(failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "crv", "secp256k1")),
                        JoseReason::kUnsupportedKey));
  EXPECT_TRUE(
      failsWith(parseJwk(R"({"kty":"OKP","crv":"Ed448","x":"AA"})"), JoseReason::kUnsupportedKey));
  EXPECT_TRUE(
      failsWith(parseJwk(R"({"kty":"AKP","alg":"ML-DSA-44"})"), JoseReason::kUnsupportedKey));
  json::Json rsa = *json::parseJson(testing::kRfc7520RsaPrivateKey);
  rsa["oth"] = json::Json::array();
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(rsa)), JoseReason::kUnsupportedKey));
}

TEST(Jwk, RequiresExactCoordinateAndScalarLengths) {
  // RFC 7518 §6.2.1.2: x and y are the full coordinate size; 31 bytes for P-256 is refused
  // even when the value would fit.
  const std::string x31 = base64UrlEncode(Bytes(31, 0x11));
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "x", x31)), JoseReason::kInvalidKey));
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "y", x31)), JoseReason::kInvalidKey));
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "d", x31)), JoseReason::kInvalidKey));
  // P-521 coordinates are 66 bytes; a 65-byte x with the leading zero byte dropped is refused.
  json::Json p521 = *json::parseJson(testing::kRfc7520P521PublicKey);
  Bytes x = *base64UrlDecode(p521["x"].get<std::string>());
  ASSERT_EQ(x.size(), 66u);
  ASSERT_EQ(x[0], 0);
  p521["x"] = base64UrlEncode(ByteSpan(x).subspan(1));
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(p521)), JoseReason::kInvalidKey));
  EXPECT_TRUE(failsWith(parseJwk(withMember(kX25519Bob, "x", x31)), JoseReason::kInvalidKey));
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc8037A1Key, "d", x31)), JoseReason::kInvalidKey));
}

TEST(Jwk, RejectsPointsOffTheCurveAndMismatchedPrivateParts) {
  json::Json ec = *json::parseJson(testing::kRfc7515A3Key);
  Bytes y = *base64UrlDecode(ec["y"].get<std::string>());
  y.back() ^= 1;
  ec["y"] = base64UrlEncode(y);
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(ec)), JoseReason::kInvalidKey));
  // The RFC 7518 Appendix C keys are both valid; Alice's d with Bob's point is not a key.
  json::Json mixed = *json::parseJson(testing::kRfc7518CBobKey);
  mixed["d"] = json::parseJson(testing::kRfc7518CAliceKey)->at("d");
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(mixed)), JoseReason::kInvalidKey));
}

TEST(Jwk, RejectsNonCanonicalBase64) {
  json::Json ec = *json::parseJson(testing::kRfc7515A3Key);
  ec["x"] = ec["x"].get<std::string>() + "=";
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(ec)), JoseReason::kBadBase64));
  EXPECT_TRUE(failsWith(parseJwk(withMember(testing::kRfc7515A3Key, "y", "x_FEzRu9m36HLN/tue659")),
                        JoseReason::kBadBase64));
}

TEST(Jwk, RsaRules) {
  // Base64urlUInt (RFC 7518 §2): no leading zero octet in n or e.
  json::Json rsa = *json::parseJson(testing::kRfc7520RsaPublicKey);
  Bytes n = *base64UrlDecode(rsa["n"].get<std::string>());
  Bytes padded = {0};
  padded.insert(padded.end(), n.begin(), n.end());
  rsa["n"] = base64UrlEncode(padded);
  EXPECT_TRUE(failsWith(parseJwk(json::dumpCompact(rsa)), JoseReason::kInvalidKey));
  EXPECT_TRUE(failsWith(parseJwk(withMember(testing::kRfc7520RsaPublicKey, "e", "AAEAAQ")),
                        JoseReason::kInvalidKey));
  // A 1024-bit modulus is below the 2048-bit floor.
  Bytes small(128, 0x35);
  small[0] = 0xc1;
  EXPECT_TRUE(
      failsWith(parseJwk(withMember(testing::kRfc7520RsaPublicKey, "n", base64UrlEncode(small))),
                JoseReason::kInvalidKey));
  // Private keys need all of d, p, q, dp, dq, qi.
  const std::string private_key(testing::kRfc7520RsaPrivateKey);
  std::string d_only =
      without(without(without(without(without(private_key, "p"), "q"), "dp"), "dq"), "qi");
  EXPECT_TRUE(failsWith(parseJwk(d_only), JoseReason::kUnsupportedKey));
  EXPECT_TRUE(failsWith(parseJwk(without(private_key, "qi")), JoseReason::kInvalidKey));
  EXPECT_TRUE(failsWith(parseJwk(without(private_key, "d")), JoseReason::kInvalidKey));
}

TEST(JwkSet, ParsesSupportedKeysAndSkipsUnsupportedOnes) {
  const std::string set = std::string(R"({"keys":[)") + std::string(testing::kRfc7517A1EcKey) +
                          "," + std::string(testing::kRfc7638RsaKey) +
                          R"(,{"kty":"oct","k":"AAAA"},{"kty":"EC","crv":"secp256k1"}]})";
  auto parsed = parseJwkSet(set);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->keys.size(), 2u);
  EXPECT_EQ(parsed->keys[0].kid, "1");
  EXPECT_EQ(parsed->keys[1].kid, "2011-04-29");
}

TEST(JwkSet, RejectsMalformedSets) {
  EXPECT_TRUE(failsWith(parseJwkSet(R"({"keys":{}})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwkSet(R"({})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwkSet(R"({"keys":[],"extra":1})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwkSet(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA"}]})"),
                        JoseReason::kMalformed));
  JoseLimits limits;
  limits.max_keys = 1;
  const std::string two = std::string(R"({"keys":[)") + std::string(testing::kRfc7517A1EcKey) +
                          "," + std::string(testing::kRfc7638RsaKey) + "]}";
  EXPECT_TRUE(failsWith(parseJwkSet(two, limits), JoseReason::kTooLarge));
}

}  // namespace
}  // namespace cocoon::jose
