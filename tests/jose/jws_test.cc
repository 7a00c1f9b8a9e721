// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/jws.h"

#include <string>

#include <gtest/gtest.h>

#include "crypto/signature.h"
#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using testing::b64;
using testing::failsWith;
using testing::jwkKey;

JwsVerifyOptions allow(std::initializer_list<JwsAlgorithm> algs) {
  return {algs};
}

JwsVerifyOptions allowAll() {
  auto all = allJwsAlgorithms();
  return {{all.begin(), all.end()}};
}

// A compact JWS over an arbitrary header text, for inputs our signer refuses to produce.
std::string signRaw(const Key& key, JwsAlgorithm alg, std::string_view header,
                    std::string_view payload) {
  const std::string input = b64(header) + "." + b64(payload);
  Bytes sig =
      *crypto::sign(key, jwsSignatureScheme(alg), asBytes(input), crypto::EcdsaEncoding::kRaw);
  return input + "." + base64UrlEncode(sig);
}

TEST(JwsRfc7515, A2Rs256SignatureIsReproducedExactly) {
  const Key key = jwkKey(testing::kRfc7515A2Key);
  auto parsed = parseJwsCompact(testing::kRfc7515A2Compact);
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto token = signJwsCompact(parsed->payload, JwsSigner{key, JwsAlgorithm::kRs256});
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, testing::kRfc7515A2Compact);
  auto verified =
      verifyJwsCompact(testing::kRfc7515A2Compact, key.publicKey(), allow({JwsAlgorithm::kRs256}));
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->header.alg, "RS256");
  EXPECT_EQ(toString(verified->payload).substr(0, 12), "{\"iss\":\"joe\"");
}

TEST(JwsRfc7515, A3Es256AndA4Es512Verify) {
  auto es256 = verifyJwsCompact(testing::kRfc7515A3Compact,
                                jwkKey(testing::kRfc7515A3Key).publicKey(), allowAll());
  ASSERT_TRUE(es256) << es256.error().message;
  auto es512 = verifyJwsCompact(testing::kRfc7515A4Compact,
                                jwkKey(testing::kRfc7515A4Key).publicKey(), allowAll());
  ASSERT_TRUE(es512) << es512.error().message;
  EXPECT_EQ(toString(es512->payload), "Payload");
}

TEST(JwsRfc7515, A1HmacAndA5UnsecuredAreRefused) {
  const Key key = jwkKey(testing::kRfc7515A2Key);
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A1Compact, key, allowAll()),
                        JoseReason::kUnsupportedAlgorithm));
  auto none = verifyJwsCompact(testing::kRfc7515A5Compact, key, allowAll());
  ASSERT_TRUE(failsWith(none, JoseReason::kUnsupportedAlgorithm));
  EXPECT_EQ(none.error().message, "JWS alg \"none\" (unsecured JWS) is never accepted");
}

TEST(JwsRfc7515, A6GeneralAndA7FlattenedSerializations) {
  const Key rsa = jwkKey(testing::kRfc7515A2Key).publicKey();
  const Key ec = jwkKey(testing::kRfc7515A3Key).publicKey();
  auto by_rsa = verifyJwsJson(testing::kRfc7515A6General, rsa, allowAll());
  ASSERT_TRUE(by_rsa) << by_rsa.error().message;
  EXPECT_EQ(by_rsa->signature_index, 0u);
  EXPECT_EQ(by_rsa->header.kid, "2010-12-29");
  auto by_ec = verifyJwsJson(testing::kRfc7515A6General, ec, allowAll());
  ASSERT_TRUE(by_ec) << by_ec.error().message;
  EXPECT_EQ(by_ec->signature_index, 1u);
  EXPECT_EQ(by_ec->header.kid, "e9bc097a-ce51-4036-9562-d2ade882db0d");
  // Only ES256 allowed: the RS256 signature cannot count even with the RSA key.
  EXPECT_TRUE(
      failsWith(verifyJwsJson(testing::kRfc7515A6General, rsa, allow({JwsAlgorithm::kEs256})),
                JoseReason::kAlgorithmNotAllowed));
  auto flat = verifyJwsJson(testing::kRfc7515A7Flattened, ec, allow({JwsAlgorithm::kEs256}));
  ASSERT_TRUE(flat) << flat.error().message;
  EXPECT_EQ(flat->payload, by_rsa->payload);
}

TEST(JwsRfc7515, AppendixECriticalExtensionIsRefused) {
  EXPECT_TRUE(failsWith(parseJwsCompact(testing::kRfc7515E1Compact), JoseReason::kUnknownCritical));
}

TEST(JwsRfc7520, Section41Rs256IsReproducedExactly) {
  JwsSigner signer{jwkKey(testing::kRfc7520RsaPrivateKey), JwsAlgorithm::kRs256};
  signer.protected_params["kid"] = "bilbo.baggins@hobbiton.example";
  auto token = signJwsCompact(asBytes(testing::kRfc7520Payload), signer);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, testing::kRfc7520S41Compact);
}

TEST(JwsRfc7520, Sections42To44) {
  const Key rsa = jwkKey(testing::kRfc7520RsaPublicKey);
  const Key ec = jwkKey(testing::kRfc7520P521PublicKey);
  auto ps384 = verifyJwsCompact(testing::kRfc7520S42Compact, rsa, allow({JwsAlgorithm::kPs384}));
  ASSERT_TRUE(ps384) << ps384.error().message;
  EXPECT_EQ(toString(ps384->payload), testing::kRfc7520Payload);
  auto es512 = verifyJwsCompact(testing::kRfc7520S43Compact, ec, allow({JwsAlgorithm::kEs512}));
  ASSERT_TRUE(es512) << es512.error().message;
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7520S44Compact, rsa, allowAll()),
                        JoseReason::kUnsupportedAlgorithm));
}

TEST(JwsRfc7520, Section48MultipleSignatures) {
  auto jws = parseJwsJson(testing::kRfc7520S48General);
  ASSERT_TRUE(jws) << jws.error().message;
  ASSERT_EQ(jws->signatures.size(), 3u);
  auto rsa = verifyJws(*jws, jwkKey(testing::kRfc7520RsaPublicKey), allowAll());
  ASSERT_TRUE(rsa) << rsa.error().message;
  EXPECT_EQ(rsa->signature_index, 0u);
  auto ec = verifyJws(*jws, jwkKey(testing::kRfc7520P521PublicKey), allowAll());
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_EQ(ec->signature_index, 1u);
  EXPECT_EQ(ec->header.alg, "ES512");  // from the unprotected header
}

TEST(JwsRfc8037, A4Ed25519SignatureIsReproducedExactly) {
  const Key key = jwkKey(testing::kRfc8037A1Key);
  auto token =
      signJwsCompact(asBytes("Example of Ed25519 signing"), JwsSigner{key, JwsAlgorithm::kEdDsa});
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, testing::kRfc8037A4Compact);
  EXPECT_TRUE(verifyJwsCompact(*token, key.publicKey(), allow({JwsAlgorithm::kEdDsa})));
}

KeyType keyTypeFor(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kEs256:
      return KeyType::kEcP256;
    case JwsAlgorithm::kEs384:
      return KeyType::kEcP384;
    case JwsAlgorithm::kEs512:
      return KeyType::kEcP521;
    case JwsAlgorithm::kEdDsa:
      return KeyType::kEd25519;
    default:
      return KeyType::kRsa;
  }
}

TEST(Jws, RoundTripsEveryAlgorithmInEverySerialization) {
  const Key rsa = *Key::generate(KeyType::kRsa);
  for (JwsAlgorithm alg : allJwsAlgorithms()) {
    const KeyType type = keyTypeFor(alg);
    const Key key = type == KeyType::kRsa ? rsa : *Key::generate(type);
    JwsSigner signer{key, alg};
    signer.protected_params["kid"] = "k";
    const std::string payload = "payload for " + std::string(jwsAlgorithmName(alg));
    auto compact = signJwsCompact(asBytes(payload), signer);
    ASSERT_TRUE(compact) << compact.error().message;
    auto verified = verifyJwsCompact(*compact, key.publicKey(), allow({alg}));
    ASSERT_TRUE(verified) << jwsAlgorithmName(alg) << ": " << verified.error().message;
    EXPECT_EQ(toString(verified->payload), payload);
    EXPECT_EQ(verified->header.kid, "k");
    signer.unprotected = {{"x-note", "unprotected"}};
    for (JwsJsonForm form : {JwsJsonForm::kGeneral, JwsJsonForm::kFlattened}) {
      auto text = signJwsJson(asBytes(payload), std::span(&signer, 1), form);
      ASSERT_TRUE(text) << text.error().message;
      auto json_verified = verifyJwsJson(*text, key.publicKey(), allow({alg}));
      ASSERT_TRUE(json_verified) << *text << ": " << json_verified.error().message;
      EXPECT_EQ(json_verified->header.params["x-note"], "unprotected");
    }
  }
}

TEST(Jws, RefusesAlgorithmsOutsideTheAllowList) {
  const Key key = jwkKey(testing::kRfc7515A3Key);
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, key, allow({})),
                        JoseReason::kAlgorithmNotAllowed));
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, key,
                                         allow({JwsAlgorithm::kRs256, JwsAlgorithm::kEs384})),
                        JoseReason::kAlgorithmNotAllowed));
}

TEST(Jws, KeyDecidesNothingAboutTheAlgorithm) {
  const Key ec = jwkKey(testing::kRfc7515A3Key).publicKey();
  const Key rsa = jwkKey(testing::kRfc7515A2Key).publicKey();
  const Key p384 = jwkKey(testing::kRfc7520S54Key).publicKey();
  // An RS256 token given an EC key, an ES256 token given an RSA key or the wrong curve.
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A2Compact, ec, allowAll()),
                        JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, rsa, allowAll()),
                        JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, p384, allowAll()),
                        JoseReason::kKeyMismatch));
  // A correctly signed ES256 token that claims ES384 does not verify as ES384 either.
  const std::string relabelled =
      signRaw(jwkKey(testing::kRfc7515A3Key), JwsAlgorithm::kEs256, R"({"alg":"ES384"})", "x");
  EXPECT_TRUE(failsWith(verifyJwsCompact(relabelled, ec, allowAll()), JoseReason::kKeyMismatch));
}

TEST(Jws, RejectsEveryTruncationOfAValidToken) {
  const std::string token(testing::kRfc7515A3Compact);
  const Key key = jwkKey(testing::kRfc7515A3Key);
  const std::size_t second_dot = token.rfind('.');
  for (std::size_t n = 0; n < token.size(); ++n) {
    const std::string prefix = token.substr(0, n);
    auto result = verifyJwsCompact(prefix, key, allowAll());
    // Up to the second dot there are fewer than three segments; after it, a shortened
    // signature either is not base64url or does not verify.
    JoseReason expected = JoseReason::kMalformed;
    if (n > second_dot) {
      expected = base64UrlDecode(prefix.substr(second_dot + 1)) ? JoseReason::kBadSignature
                                                                : JoseReason::kBadBase64;
    }
    EXPECT_TRUE(failsWith(result, expected)) << "prefix length " << n;
  }
}

TEST(Jws, RejectsWrongSegmentCounts) {
  const std::string token(testing::kRfc7515A3Compact);
  const Key key = jwkKey(testing::kRfc7515A3Key);
  for (const std::string& bad : {token + ".", token + ".x.y", token + ".e30.e30.e30",
                                 std::string("a.b"), std::string("...."), std::string("")}) {
    auto result = verifyJwsCompact(bad, key, allowAll());
    ASSERT_TRUE(failsWith(result, JoseReason::kMalformed)) << bad;
  }
  EXPECT_EQ(parseJwsCompact(token + ".x").error().message,
            "JWS compact serialization: expected 3 dot-separated segments, found more than 3");
  EXPECT_EQ(parseJwsCompact("a.b").error().message,
            "JWS compact serialization: expected 3 dot-separated segments, found 2");
}

TEST(Jws, RejectsBadBase64InEachSegment) {
  const std::string token(testing::kRfc7515A3Compact);
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.rfind('.');
  std::string bad_header = token;
  bad_header[1] = '+';
  std::string bad_payload = token;
  bad_payload[dot1 + 1] = '/';
  std::string bad_signature = token + "=";
  std::string short_signature = token.substr(0, dot2 + 2);
  for (const std::string& bad : {bad_header, bad_payload, bad_signature, short_signature}) {
    EXPECT_TRUE(failsWith(parseJwsCompact(bad), JoseReason::kBadBase64)) << bad;
  }
}

TEST(Jws, AnyFlippedBitBreaksTheSignature) {
  const Key key = jwkKey(testing::kRfc7515A2Key);
  const std::string token(testing::kRfc7515A2Compact);
  auto parsed = *parseJwsCompact(token);
  Bytes signature = parsed.signatures[0].signature;
  for (std::size_t byte : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    Bytes flipped = signature;
    flipped[byte] ^= 0x01;
    const std::string bad = token.substr(0, token.rfind('.') + 1) + base64UrlEncode(flipped);
    EXPECT_TRUE(failsWith(verifyJwsCompact(bad, key, allowAll()), JoseReason::kBadSignature));
  }
  std::string payload_changed = token;
  const std::size_t at = token.find('.') + 5;
  payload_changed[at] = token[at] == 'J' ? 'K' : 'J';  // still base64url, another payload
  EXPECT_TRUE(
      failsWith(verifyJwsCompact(payload_changed, key, allowAll()), JoseReason::kBadSignature));
}

TEST(Jws, RefusesHeadersWeDoNotUnderstand) {
  const Key key = jwkKey(testing::kRfc7515A3Key);
  const std::string dup =
      signRaw(key, JwsAlgorithm::kEs256, R"({"alg":"ES256","alg":"none"})", "x");
  EXPECT_TRUE(failsWith(verifyJwsCompact(dup, key, allowAll()), JoseReason::kDuplicateParameter));
  const std::string crit =
      signRaw(key, JwsAlgorithm::kEs256, R"({"alg":"ES256","crit":["exp"],"exp":1})", "x");
  EXPECT_TRUE(failsWith(verifyJwsCompact(crit, key, allowAll()), JoseReason::kUnknownCritical));
  const std::string b64_false =
      signRaw(key, JwsAlgorithm::kEs256, R"({"alg":"ES256","b64":false,"crit":["b64"]})", "x");
  EXPECT_TRUE(
      failsWith(verifyJwsCompact(b64_false, key, allowAll()), JoseReason::kUnknownCritical));
  const std::string not_json = signRaw(key, JwsAlgorithm::kEs256, R"({"alg":"ES256")", "x");
  EXPECT_TRUE(failsWith(verifyJwsCompact(not_json, key, allowAll()), JoseReason::kMalformed));
  // Unknown non-critical parameters are ignored (RFC 7515 §4).
  const std::string extra = signRaw(key, JwsAlgorithm::kEs256, R"({"alg":"ES256","zz":[1]})", "x");
  EXPECT_TRUE(verifyJwsCompact(extra, key, allowAll()));
}

TEST(Jws, EnforcesTheInputCap) {
  JoseLimits limits;
  limits.max_input_bytes = 64;
  const Key key = jwkKey(testing::kRfc7515A3Key);
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, key, allowAll(), limits),
                        JoseReason::kTooLarge));
  EXPECT_TRUE(failsWith(verifyJwsJson(testing::kRfc7515A7Flattened, key, allowAll(), limits),
                        JoseReason::kTooLarge));
  const std::string huge(5 * 1024 * 1024, 'A');
  EXPECT_TRUE(failsWith(parseJwsCompact(huge), JoseReason::kTooLarge));
}

TEST(JwsJson, RejectsMalformedSerializations) {
  const std::string flat(testing::kRfc7515A7Flattened);
  json::Json object = *json::parseJson(flat);
  const auto mutate = [&](auto change) {
    json::Json copy = object;
    change(copy);
    return parseJwsJson(json::dumpCompact(copy));
  };
  EXPECT_TRUE(failsWith(parseJwsJson("[]"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwsJson("{\"payload\":"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j["extra"] = 1; }), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j.erase("payload"); }),
                        JoseReason::kUnsupportedFeature));
  EXPECT_TRUE(
      failsWith(mutate([](json::Json& j) { j.erase("signature"); }), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j["payload"] = 5; }), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(mutate([](json::Json& j) { j["header"] = "kid"; }), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) {
                          j["header"] = {{"alg", "ES256"}};
                        }),
                        JoseReason::kDuplicateParameter));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) {
                          j.erase("protected");
                          j.erase("header");
                        }),
                        JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwsJson(R"({"payload":"","signatures":[]})"), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(parseJwsJson(R"({"payload":"","signatures":[1]})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJwsJson(R"({"payload":"","signatures":[{"signature":"","x":1}]})"),
                        JoseReason::kMalformed));
  // Duplicate members anywhere in the document.
  EXPECT_TRUE(failsWith(parseJwsJson(R"({"payload":"","payload":"","signature":""})"),
                        JoseReason::kDuplicateParameter));
}

TEST(JwsJson, CapsTheNumberOfSignatures) {
  json::Json general = *json::parseJson(testing::kRfc7515A6General);
  JoseLimits limits;
  limits.max_entries = 1;
  EXPECT_TRUE(failsWith(parseJwsJson(json::dumpCompact(general), limits), JoseReason::kTooLarge));
}

TEST(JwsKeySet, SelectsByKidAndHonoursKeyMetadata) {
  JwkSet set;
  set.keys.push_back(Jwk{jwkKey(testing::kRfc7515A2Key).publicKey(), "2010-12-29", {}, {}, {}});
  set.keys.push_back(Jwk{jwkKey(testing::kRfc7515A3Key).publicKey(),
                         "e9bc097a-ce51-4036-9562-d2ade882db0d",
                         "ES256",
                         "sig",
                         {"verify"}});
  auto verified = verifyJwsJson(testing::kRfc7515A6General, set, allowAll());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->signature_index, 0u);
  // No kid in the token: every key that fits is tried.
  auto no_kid = verifyJwsCompact(testing::kRfc7515A3Compact, set, allowAll());
  ASSERT_TRUE(no_kid) << no_kid.error().message;

  JwkSet other;
  other.keys.push_back(Jwk{jwkKey(testing::kRfc7515A3Key).publicKey(), "another", {}, {}, {}});
  EXPECT_TRUE(failsWith(verifyJwsJson(testing::kRfc7515A7Flattened, other, allowAll()),
                        JoseReason::kKeyNotFound));
  JwkSet wrong_alg;
  wrong_alg.keys.push_back(Jwk{jwkKey(testing::kRfc7515A3Key).publicKey(),
                               "e9bc097a-ce51-4036-9562-d2ade882db0d",
                               "ES384",
                               {},
                               {}});
  EXPECT_TRUE(failsWith(verifyJwsJson(testing::kRfc7515A7Flattened, wrong_alg, allowAll()),
                        JoseReason::kKeyMismatch));
  JwkSet for_encryption;
  for_encryption.keys.push_back(Jwk{jwkKey(testing::kRfc7515A3Key).publicKey(), {}, {}, "enc", {}});
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, for_encryption, allowAll()),
                        JoseReason::kKeyMismatch));
  JwkSet wrong_key;
  wrong_key.keys.push_back(Jwk{*Key::generate(KeyType::kEcP256), {}, {}, {}, {}});
  EXPECT_TRUE(failsWith(verifyJwsCompact(testing::kRfc7515A3Compact, wrong_key, allowAll()),
                        JoseReason::kBadSignature));
}

TEST(JwsSign, RefusesInconsistentSigners) {
  const Key ec = jwkKey(testing::kRfc7515A3Key);
  EXPECT_TRUE(failsWith(signJwsCompact({}, JwsSigner{ec.publicKey(), JwsAlgorithm::kEs256}),
                        JoseReason::kInvalidArgument));
  EXPECT_TRUE(failsWith(signJwsCompact({}, JwsSigner{ec, JwsAlgorithm::kRs256}),
                        JoseReason::kInvalidArgument));
  JwsSigner conflicting{ec, JwsAlgorithm::kEs256};
  conflicting.protected_params["alg"] = "ES384";
  EXPECT_TRUE(failsWith(signJwsCompact({}, conflicting), JoseReason::kInvalidArgument));
  JwsSigner critical{ec, JwsAlgorithm::kEs256};
  critical.protected_params["crit"] = {"exp"};
  EXPECT_TRUE(failsWith(signJwsCompact({}, critical), JoseReason::kInvalidArgument));
  JwsSigner unprotected{ec, JwsAlgorithm::kEs256};
  unprotected.unprotected = {{"kid", "k"}};
  EXPECT_TRUE(failsWith(signJwsCompact({}, unprotected), JoseReason::kInvalidArgument));
  const JwsSigner two[] = {JwsSigner{ec, JwsAlgorithm::kEs256},
                           JwsSigner{ec, JwsAlgorithm::kEs256}};
  EXPECT_TRUE(
      failsWith(signJwsJson({}, two, JwsJsonForm::kFlattened), JoseReason::kInvalidArgument));
  EXPECT_TRUE(signJwsJson({}, two, JwsJsonForm::kGeneral));
}

}  // namespace
}  // namespace cocoon::jose
