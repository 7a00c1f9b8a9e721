// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/jwe.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/jose/jwk.h"
#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using testing::b64;
using testing::failsWith;
using testing::plain;
using Alg = KeyManagementAlgorithm;

constexpr std::string_view kSecret = "resource: the disk encryption key";

// A recipient key pair for `alg` and `enc`: (encrypting key, decrypting key).
std::pair<JweKey, JweKey> keysFor(Alg alg, ContentEncryption enc, KeyType curve) {
  if (alg == Alg::kRsaOaep || alg == Alg::kRsaOaep256) {
    static const Key rsa = *Key::generate(KeyType::kRsa);
    return {JweKey(rsa.publicKey()), JweKey(rsa)};
  }
  if (usesAsymmetricKey(alg)) {
    const Key key = *Key::generate(curve);
    return {JweKey(key.publicKey()), JweKey(key)};
  }
  const std::size_t size = alg == Alg::kDir ? contentKeySize(enc) : keyWrapKeySize(alg);
  const JweKey key = JweKey::symmetric(SecretBytes(Bytes(size, 0x2a)));
  return {key, key};
}

std::string segment(std::string_view token, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    start = token.find('.', start) + 1;
  }
  return std::string(token.substr(start, token.find('.', start) - start));
}

// `token` with its protected header replaced (the tag no longer matches; key management
// runs first, so its errors show).
std::string withHeader(std::string_view token, const json::Json& header) {
  return b64(json::dumpCompact(header)) + std::string(token.substr(token.find('.')));
}

json::Json headerOf(std::string_view token) {
  return *json::parseJson(toString(*base64UrlDecode(segment(token, 0))));
}

TEST(Jwe, RoundTripsEveryAlgorithmAndEncryptionInEverySerialization) {
  for (Alg alg : allKeyManagementAlgorithms()) {
    for (ContentEncryption enc : allContentEncryptions()) {
      const auto curve = alg == Alg::kEcdhEsA192Kw ? KeyType::kX25519 : KeyType::kEcP256;
      auto [encrypting, decrypting] = keysFor(alg, enc, curve);
      JweEncryptOptions options;
      options.enc = enc;
      const std::string what =
          std::string(keyManagementName(alg)) + " " + std::string(contentEncryptionName(enc));
      const JweRecipient recipient{encrypting, alg};
      auto compact = encryptJweCompact(asBytes(kSecret), recipient, options);
      ASSERT_TRUE(compact) << what << ": " << compact.error().message;
      auto opened = decryptJweCompact(*compact, decrypting);
      ASSERT_TRUE(opened) << what << ": " << opened.error().message;
      EXPECT_EQ(plain(opened->plaintext), kSecret) << what;
      for (JweJsonForm form : {JweJsonForm::kFlattened, JweJsonForm::kGeneral}) {
        auto text = encryptJweJson(asBytes(kSecret), std::span(&recipient, 1), options, form);
        ASSERT_TRUE(text) << what << ": " << text.error().message;
        auto json_opened = decryptJweJson(*text, decrypting);
        ASSERT_TRUE(json_opened) << what << ": " << *text << ": " << json_opened.error().message;
        EXPECT_EQ(plain(json_opened->plaintext), kSecret);
      }
    }
  }
}

TEST(Jwe, EcdhEsWorksOnEveryCurve) {
  for (KeyType curve : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kX25519}) {
    for (Alg alg : {Alg::kEcdhEs, Alg::kEcdhEsA256Kw}) {
      auto [encrypting, decrypting] = keysFor(alg, ContentEncryption::kA256Gcm, curve);
      JweEncryptOptions options;
      options.apu = toBytes("Alice");
      options.apv = toBytes("Bob");
      auto token = encryptJweCompact(asBytes(kSecret), JweRecipient{encrypting, alg}, options);
      ASSERT_TRUE(token) << token.error().message;
      const json::Json header = headerOf(*token);
      EXPECT_EQ(header["apu"], "QWxpY2U");
      EXPECT_EQ(header["epk"]["crv"], crypto::keyTypeName(curve));
      EXPECT_FALSE(header["epk"].contains("d"));
      auto opened = decryptJweCompact(*token, decrypting);
      ASSERT_TRUE(opened) << opened.error().message;
      EXPECT_EQ(plain(opened->plaintext), kSecret);
    }
  }
}

TEST(Jwe, GeneralSerializationWithSeveralRecipientsHeadersAndAad) {
  const Key rsa = *Key::generate(KeyType::kRsa);
  const Key ec = *Key::generate(KeyType::kEcP384);
  const JweKey wrap_key = JweKey::symmetric(SecretBytes(Bytes(16, 7)));
  JweKey rsa_public(rsa.publicKey());
  rsa_public.kid = "rsa";
  std::vector<JweRecipient> recipients = {
      {rsa_public, Alg::kRsaOaep256},
      {JweKey(ec.publicKey()), Alg::kEcdhEsA256Kw, {{"x-recipient", 2}}},
      {wrap_key, Alg::kA128Kw},
  };
  JweEncryptOptions options;
  options.enc = ContentEncryption::kA128CbcHs256;
  options.protected_params = {{"cty", "text/plain"}};
  options.shared_unprotected = {{"jku", "https://kbs.example/keys"}};
  options.aad = toBytes("bound but not encrypted");
  auto text = encryptJweJson(asBytes(kSecret), recipients, options);
  ASSERT_TRUE(text) << text.error().message;
  const json::Json doc = *json::parseJson(*text);
  EXPECT_EQ(doc["recipients"].size(), 3u);
  EXPECT_EQ(doc["recipients"][0]["header"]["kid"], "rsa");
  const std::vector<JweKey> keys = {JweKey(rsa), JweKey(ec), wrap_key};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto opened = decryptJweJson(*text, keys[i]);
    ASSERT_TRUE(opened) << i << ": " << opened.error().message;
    EXPECT_EQ(opened->recipient_index, i);
    EXPECT_EQ(plain(opened->plaintext), kSecret);
    EXPECT_EQ(toString(opened->aad), "bound but not encrypted");
    EXPECT_EQ(opened->header.cty, "text/plain");
    EXPECT_EQ(opened->header.params["jku"], "https://kbs.example/keys");
  }
  auto second = decryptJweJson(*text, keys[1]);
  EXPECT_EQ(second->header.params["x-recipient"], 2);
}

TEST(Jwe, KeyDeterminingAlgorithmsMustBeTheOnlyRecipient) {
  const JweKey dir = JweKey::symmetric(SecretBytes(Bytes(32, 1)));
  const JweKey wrap = JweKey::symmetric(SecretBytes(Bytes(32, 2)));
  const JweRecipient both[] = {{dir, Alg::kDir}, {wrap, Alg::kA256Kw}};
  EXPECT_TRUE(failsWith(encryptJweJson(asBytes(kSecret), both), JoseReason::kInvalidArgument));
  EXPECT_TRUE(failsWith(encryptJweJson(asBytes(kSecret), both, {}, JweJsonForm::kFlattened),
                        JoseReason::kInvalidArgument));
}

TEST(Jwe, EncryptionRefusesInconsistentArguments) {
  const Key ec = *Key::generate(KeyType::kEcP256);
  const JweKey aes = JweKey::symmetric(SecretBytes(Bytes(16, 1)));
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{JweKey(ec), Alg::kRsaOaep}),
                        JoseReason::kInvalidArgument));
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{aes, Alg::kA256Kw}),
                        JoseReason::kInvalidArgument));
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{aes, Alg::kEcdhEs}),
                        JoseReason::kInvalidArgument));
  JweEncryptOptions with_aad;
  with_aad.aad = Bytes{1};
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{aes, Alg::kA128Kw}, with_aad),
                        JoseReason::kInvalidArgument));
  JweEncryptOptions alg_twice;
  alg_twice.protected_params = {{"alg", "dir"}};
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{aes, Alg::kA128Kw}, alg_twice),
                        JoseReason::kInvalidArgument));
  JweEncryptOptions zip;
  zip.protected_params = {{"zip", "DEF"}};
  EXPECT_TRUE(failsWith(encryptJweCompact({}, JweRecipient{aes, Alg::kA128Kw}, zip),
                        JoseReason::kInvalidArgument));
}

class JweRejects : public ::testing::Test {
 protected:
  JweRejects() : ec_(*Key::generate(KeyType::kEcP256)) {
    token_ = *encryptJweCompact(asBytes(kSecret),
                                JweRecipient{JweKey(ec_.publicKey()), Alg::kEcdhEsA256Kw});
  }
  Key ec_;
  std::string token_;
};

TEST_F(JweRejects, EveryTruncation) {
  const std::size_t last_dot = token_.rfind('.');
  for (std::size_t n = 0; n < token_.size(); ++n) {
    const std::string prefix = token_.substr(0, n);
    // Fewer than five segments until the last dot; then a short tag is either not
    // base64url or of the wrong size.
    JoseReason expected = JoseReason::kMalformed;
    if (n > last_dot && !base64UrlDecode(prefix.substr(last_dot + 1))) {
      expected = JoseReason::kBadBase64;
    }
    EXPECT_TRUE(failsWith(decryptJweCompact(prefix, JweKey(ec_)), expected)) << n;
  }
}

TEST_F(JweRejects, WrongSegmentCounts) {
  for (const std::string& bad : {token_ + ".", token_ + ".x",
                                 std::string(testing::kRfc7515A3Compact), std::string("....")}) {
    EXPECT_TRUE(failsWith(decryptJweCompact(bad, JweKey(ec_)), JoseReason::kMalformed)) << bad;
  }
}

TEST_F(JweRejects, BadBase64InEachSegment) {
  for (std::size_t index = 0; index < 5; ++index) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < index; ++i) {
      start = token_.find('.', start) + 1;
    }
    const std::string bad = token_.substr(0, start) + "*" + token_.substr(start);
    EXPECT_TRUE(failsWith(decryptJweCompact(bad, JweKey(ec_)), JoseReason::kBadBase64)) << index;
  }
}

TEST_F(JweRejects, FlippedBitsWithOneReasonAndOneMessage) {
  const std::string tag = segment(token_, 4);
  Bytes raw_tag = *base64UrlDecode(tag);
  raw_tag[3] ^= 0x10;
  const std::string bad_tag = token_.substr(0, token_.rfind('.') + 1) + base64UrlEncode(raw_tag);
  Bytes wrapped = *base64UrlDecode(segment(token_, 1));
  wrapped[0] ^= 1;
  std::string bad_key = token_;
  bad_key.replace(bad_key.find('.') + 1, segment(token_, 1).size(), base64UrlEncode(wrapped));
  const Key other = *Key::generate(KeyType::kEcP256);
  const auto tag_error = decryptJweCompact(bad_tag, JweKey(ec_));
  ASSERT_TRUE(failsWith(tag_error, JoseReason::kDecryptionFailed));
  for (const auto& result :
       {decryptJweCompact(bad_key, JweKey(ec_)), decryptJweCompact(token_, JweKey(other))}) {
    ASSERT_TRUE(failsWith(result, JoseReason::kDecryptionFailed));
    EXPECT_EQ(result.error().message, tag_error.error().message);
  }
}

TEST(JweRsa, ABadEncryptedKeyLooksLikeABadTag) {
  // RFC 7516 §11.5: a wrong RSA-OAEP encrypted key must not be distinguishable from a bad
  // tag, so the error message is the same and comes from the content decryption.
  const Key rsa = *Key::generate(KeyType::kRsa);
  const std::string token =
      *encryptJweCompact(asBytes(kSecret), JweRecipient{JweKey(rsa.publicKey()), Alg::kRsaOaep});
  Bytes encrypted_key = *base64UrlDecode(segment(token, 1));
  encrypted_key[10] ^= 1;
  std::string bad_key = token;
  bad_key.replace(token.find('.') + 1, segment(token, 1).size(), base64UrlEncode(encrypted_key));
  std::string bad_tag = token;
  bad_tag[token.rfind('.') + 1] = bad_tag[token.rfind('.') + 1] == 'A' ? 'B' : 'A';
  auto key_error = decryptJweCompact(bad_key, JweKey(rsa));
  auto tag_error = decryptJweCompact(bad_tag, JweKey(rsa));
  ASSERT_TRUE(failsWith(key_error, JoseReason::kDecryptionFailed));
  ASSERT_TRUE(failsWith(tag_error, JoseReason::kDecryptionFailed));
  EXPECT_EQ(key_error.error().message, tag_error.error().message);
  EXPECT_TRUE(
      failsWith(decryptJweCompact(token, JweKey(rsa.publicKey())), JoseReason::kKeyMismatch));
}

TEST_F(JweRejects, AlgorithmsOutsideTheAllowLists) {
  JweDecryptOptions options;
  options.allowed_algorithms = {Alg::kRsaOaep256};
  EXPECT_TRUE(
      failsWith(decryptJweCompact(token_, JweKey(ec_), options), JoseReason::kAlgorithmNotAllowed));
  options = {};
  options.allowed_encryptions = {ContentEncryption::kA128Gcm};
  EXPECT_TRUE(
      failsWith(decryptJweCompact(token_, JweKey(ec_), options), JoseReason::kAlgorithmNotAllowed));
}

TEST_F(JweRejects, KeysThatDoNotFit) {
  EXPECT_TRUE(failsWith(decryptJweCompact(token_, JweKey(*Key::generate(KeyType::kRsa))),
                        JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(decryptJweCompact(token_, JweKey::symmetric(SecretBytes(Bytes(32, 1)))),
                        JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(decryptJweCompact(token_, JweKey(*Key::generate(KeyType::kEd25519))),
                        JoseReason::kKeyMismatch));
  const JweKey aes128 = JweKey::symmetric(SecretBytes(Bytes(16, 3)));
  const std::string wrapped = *encryptJweCompact({}, JweRecipient{aes128, Alg::kA128Kw});
  EXPECT_TRUE(failsWith(decryptJweCompact(wrapped, JweKey::symmetric(SecretBytes(Bytes(32, 3)))),
                        JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(decryptJweCompact(wrapped, JweKey(ec_)), JoseReason::kKeyMismatch));
}

TEST_F(JweRejects, EphemeralKeysOnTheWrongCurveOrOffTheCurve) {
  // The invalid-curve attack: an epk on another curve, or a point that is on no curve.
  const Key p384 = *Key::generate(KeyType::kEcP384);
  EXPECT_TRUE(failsWith(decryptJweCompact(token_, JweKey(p384)), JoseReason::kWrongCurve));
  json::Json header = headerOf(token_);
  json::Json x25519 = header;
  x25519["epk"] = *jwkToJson(Jwk{Key::generate(KeyType::kX25519)->publicKey(), {}, {}, {}, {}});
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, x25519), JweKey(ec_)),
                        JoseReason::kWrongCurve));
  json::Json off_curve = header;
  Bytes y = *base64UrlDecode(header["epk"]["y"].get<std::string>());
  y[5] ^= 1;
  off_curve["epk"]["y"] = base64UrlEncode(y);
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, off_curve), JweKey(ec_)),
                        JoseReason::kInvalidKey));
  json::Json with_private = header;
  with_private["epk"] =
      *jwkToJson(Jwk{*Key::generate(KeyType::kEcP256), {}, {}, {}, {}}, JwkExport::kPrivate);
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, with_private), JweKey(ec_)),
                        JoseReason::kMalformed));
  json::Json missing = header;
  missing.erase("epk");
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, missing), JweKey(ec_)),
                        JoseReason::kMalformed));
  json::Json bad_apu = header;
  bad_apu["apu"] = "QWxpY2U=";
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, bad_apu), JweKey(ec_)),
                        JoseReason::kBadBase64));
}

TEST_F(JweRejects, HeadersWeDoNotUnderstand) {
  const std::string rest = token_.substr(token_.find('.'));
  const std::string dup = b64(R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM","enc":"A128GCM"})");
  EXPECT_TRUE(
      failsWith(decryptJweCompact(dup + rest, JweKey(ec_)), JoseReason::kDuplicateParameter));
  json::Json crit = headerOf(token_);
  crit["crit"] = {"exp"};
  crit["exp"] = 1;
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, crit), JweKey(ec_)),
                        JoseReason::kUnknownCritical));
  json::Json no_enc = headerOf(token_);
  no_enc.erase("enc");
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, no_enc), JweKey(ec_)),
                        JoseReason::kMalformed));
  json::Json unknown_enc = headerOf(token_);
  unknown_enc["enc"] = "XC20P";
  EXPECT_TRUE(failsWith(decryptJweCompact(withHeader(token_, unknown_enc), JweKey(ec_)),
                        JoseReason::kUnsupportedAlgorithm));
}

TEST(JweDirect, RefusesAnEncryptedKey) {
  const JweKey key = JweKey::symmetric(SecretBytes(Bytes(32, 9)));
  const std::string token = *encryptJweCompact(asBytes(kSecret), JweRecipient{key, Alg::kDir});
  EXPECT_EQ(segment(token, 1), "");
  const std::size_t at = token.find('.') + 1;
  const std::string with_key = token.substr(0, at) + "AAAA" + token.substr(at);
  EXPECT_TRUE(failsWith(decryptJweCompact(with_key, key), JoseReason::kMalformed));
}

TEST(JweLimits, HugeInputsAndTooManyRecipients) {
  const JweKey key = JweKey::symmetric(SecretBytes(Bytes(16, 9)));
  const std::string huge(5 * 1024 * 1024, 'A');
  EXPECT_TRUE(failsWith(decryptJweCompact(huge, key), JoseReason::kTooLarge));
  EXPECT_TRUE(
      failsWith(decryptJweJson("{\"ciphertext\":\"" + huge + "\"}", key), JoseReason::kTooLarge));
  JoseLimits limits;
  limits.max_entries = 2;
  EXPECT_TRUE(failsWith(parseJweJson(testing::kRfc7520S513General, limits), JoseReason::kTooLarge));
}

TEST(JweJson, RejectsMalformedSerializations) {
  const json::Json flat = *json::parseJson(testing::kRfc7516A5Flattened);
  const auto mutate = [&](auto change) {
    json::Json copy = flat;
    change(copy);
    return parseJweJson(json::dumpCompact(copy));
  };
  EXPECT_TRUE(parseJweJson(json::dumpCompact(flat)));
  EXPECT_TRUE(failsWith(parseJweJson("[]"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJweJson("{\"iv\":"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j["extra"] = 1; }), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(mutate([](json::Json& j) { j.erase("ciphertext"); }), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(mutate([](json::Json& j) { j["header"] = "A128KW"; }), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(mutate([](json::Json& j) { j["unprotected"] = 1; }), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j["iv"] = "AxY8DCtDaGlsbGljb3RoZQ=="; }),
                        JoseReason::kBadBase64));
  EXPECT_TRUE(failsWith(mutate([](json::Json& j) { j["aad"] = 5; }), JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(parseJweJson(R"({"recipients":[],"ciphertext":""})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJweJson(R"({"recipients":[{"x":1}],"ciphertext":""})"),
                        JoseReason::kMalformed));
  EXPECT_TRUE(
      failsWith(parseJweJson(R"({"recipients":{},"ciphertext":""})"), JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(parseJweJson(R"({"ciphertext":"","ciphertext":""})"),
                        JoseReason::kDuplicateParameter));
}

TEST(JweJson, RejectsAParameterRepeatedAcrossHeaders) {
  // RFC 7516 §7.2.1: protected, shared unprotected and per-recipient headers are disjoint.
  json::Json flat = *json::parseJson(testing::kRfc7516A5Flattened);
  flat["unprotected"]["kid"] = "7";
  const JweKey key = JweKey::symmetric(SecretBytes(*base64UrlDecode("GawgguFyGrWKav7AX4VKUg")));
  EXPECT_TRUE(
      failsWith(decryptJweJson(json::dumpCompact(flat), key), JoseReason::kDuplicateParameter));
}

}  // namespace
}  // namespace cocoon::jose
