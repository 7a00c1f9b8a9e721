// SPDX-License-Identifier: Apache-2.0
// ocicrypt annotations: what skopeo writes parses; malformed or unexpected values are
// refused with kInvalidArgument naming the annotation.
#include "image/crypt/annotations.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"

namespace cocoon::image::crypt {
namespace {

using test::expectError;

const std::string kJweKey = "org.opencontainers.image.enc.keys.jwe";
const std::string kPubKey = "org.opencontainers.image.enc.pubopts";

std::string b64(std::string_view s) {
  return base64Encode(asBytes(s));
}

// The pubopts that `skopeo copy --encryption-key jwe:rsa.pub` (skopeo 1.9.3, Debian 12,
// ocicrypt vendored) wrote for a one-file layer on this project's CI image, 2026-11-28.
const std::string kSkopeoPubopts =
    "eyJjaXBoZXIiOiJBRVNfMjU2X0NUUl9ITUFDX1NIQTI1NiIsImhtYWMiOiIzRDhTYjRJZm9wYUJGcmIrdEk5UFIwWE"
    "5HNGxOeDBMZjhjZVNveHY2MENrPSIsImNpcGhlcm9wdGlvbnMiOnt9fQ==";

std::map<std::string, std::string> valid() {
  return {{kJweKey, b64("{}") + "," + b64("[]")},
          {kPubKey, kSkopeoPubopts},
          {"org.opencontainers.image.title", "x"}};
}

TEST(LayerEncryption, ParsesWhatSkopeoWrites) {
  auto parsed = parseLayerEncryption(valid());
  ASSERT_TRUE(parsed) << parsed.error().toString();
  ASSERT_EQ(parsed->keys.size(), 1u);
  EXPECT_EQ(parsed->keys[0].scheme, "jwe");
  ASSERT_EQ(parsed->keys[0].entries.size(), 2u);
  EXPECT_EQ(toString(parsed->keys[0].entries[1]), "[]");
  EXPECT_EQ(base64Encode(parsed->pubopts.hmac), "3D8Sb4IfopaBFrb+tI9PR0XNG4lNx0Lf8ceSoxv60Ck=");
}

TEST(LayerEncryption, RoundTripsEncodedPublicOptions) {
  Bytes hmac(kHmacSize, 0xab);
  auto a = valid();
  a[kPubKey] = encodePublicOptions(hmac);
  auto parsed = parseLayerEncryption(a);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(parsed->pubopts.hmac, hmac);
}

TEST(LayerEncryption, RejectsMissingKeysOrPubopts) {
  auto a = valid();
  a.erase(kJweKey);
  expectError(parseLayerEncryption(a), Code::kInvalidArgument, "no wrapped keys");
  a = valid();
  a.erase(kPubKey);
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "no org.opencontainers.image.enc.pubopts annotation");
}

TEST(LayerEncryption, RejectsBadEntries) {
  auto a = valid();
  a[kJweKey] = b64("{}") + ",";
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "annotation org.opencontainers.image.enc.keys.jwe: entry 1 is empty");
  a[kJweKey] = "not base64!";
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "annotation org.opencontainers.image.enc.keys.jwe: entry 0");
  std::string many = b64("x");
  for (int i = 0; i < 40; ++i) {
    many += "," + b64("x");
  }
  a[kJweKey] = many;
  expectError(parseLayerEncryption(a), Code::kInvalidArgument, "more than 32 entries");
  a[kJweKey] = std::string(300 * 1024, 'A');
  expectError(parseLayerEncryption(a), Code::kInvalidArgument, "exceed the limit");
}

TEST(LayerEncryption, RejectsUnknownEncryptionAnnotation) {
  auto a = valid();
  a["org.opencontainers.image.enc.future"] = "x";
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "org.opencontainers.image.enc.future: unknown encryption annotation");
}

TEST(LayerEncryption, RejectsBadPublicOptions) {
  const std::string hmac = base64Encode(Bytes(32, 1));
  auto withPubopts = [&](std::string json) {
    auto a = valid();
    a[kPubKey] = b64(json);
    return parseLayerEncryption(a);
  };
  expectError(withPubopts(R"({"cipher":"AES_128_GCM","hmac":")" + hmac + R"("})"),
              Code::kInvalidArgument, "cipher \"AES_128_GCM\" is not supported");
  expectError(withPubopts(R"({"cipher":"AES_256_CTR_HMAC_SHA256"})"), Code::kInvalidArgument,
              "hmac");
  expectError(withPubopts(R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"AAAA"})"),
              Code::kInvalidArgument, "\"hmac\" is 3 bytes, expected 32");
  expectError(withPubopts(R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":")" + hmac +
                          R"(","cipheroptions":{"nonce":"AAAA"}})"),
              Code::kInvalidArgument, "\"cipheroptions\" must be empty");
  expectError(
      withPubopts(R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":")" + hmac + R"(","extra":1})"),
      Code::kInvalidArgument, "unknown member \"extra\"");
  expectError(withPubopts("[1]"), Code::kInvalidArgument, "expected a JSON object");
  EXPECT_TRUE(withPubopts(R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":")" + hmac +
                          R"(","cipheroptions":null})"));
}

TEST(LayerEncryption, RejectsAnEmptySchemeName) {
  auto a = valid();
  a["org.opencontainers.image.enc.keys."] = b64("{}");
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "annotation org.opencontainers.image.enc.keys.: unknown encryption annotation");
}

TEST(LayerEncryption, KeepsEverySchemeInAnnotationOrder) {
  auto a = valid();
  a["org.opencontainers.image.enc.keys.provider.attestation-agent"] = b64("p");
  a["org.opencontainers.image.enc.keys.pkcs7"] = b64("q");
  auto parsed = parseLayerEncryption(a);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  ASSERT_EQ(parsed->keys.size(), 3u);
  EXPECT_EQ(parsed->keys[0].scheme, "jwe");
  EXPECT_EQ(parsed->keys[1].scheme, "pkcs7");
  EXPECT_EQ(parsed->keys[2].scheme, "provider.attestation-agent");
}

TEST(LayerEncryption, RejectsPuboptsThatAreNotBase64JsonOrTooLarge) {
  auto a = valid();
  a[kPubKey] = "eyJjaXBoZXIiOi!!";
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "annotation org.opencontainers.image.enc.pubopts: ");
  a[kPubKey] = b64(R"({"cipher":"AES_256_CTR_HMAC_SHA2)");
  expectError(parseLayerEncryption(a), Code::kInvalidArgument,
              "annotation org.opencontainers.image.enc.pubopts: json:");
  a[kPubKey] = b64(R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":")" + base64Encode(Bytes(32, 1)) +
                   R"(","cipheroptions":{"a":{"b":{"c":{}}}}})");
  expectError(parseLayerEncryption(a), Code::kResourceExhausted, "nesting deeper than 4 levels");
  a[kPubKey] = b64(std::string(20000, ' ') + "{}");
  expectError(parseLayerEncryption(a), Code::kResourceExhausted,
              "pubopts: 20002 bytes exceed the limit of 16384");
  a[kPubKey] = b64(R"({"cipher":5,"hmac":"AA=="})");
  expectError(parseLayerEncryption(a), Code::kInvalidArgument, "cipher");
}

TEST(PrivateOptions, RoundTripsAndParsesOcicryptMembers) {
  PrivateOptions options;
  options.symkey = SecretBytes(Bytes(32, 7));
  options.nonce = Bytes(16, 9);
  options.digest = "sha256:" + std::string(64, 'a');
  SecretBytes json = encodePrivateOptions(options);
  auto parsed = parsePrivateOptions(json.span());
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(Bytes(parsed->symkey.span().begin(), parsed->symkey.span().end()), Bytes(32, 7));
  EXPECT_EQ(parsed->nonce, Bytes(16, 9));
  EXPECT_EQ(parsed->digest, options.digest);
}

TEST(PrivateOptions, RejectsWrongSizesAndUnknownMembers) {
  const std::string key = base64Encode(Bytes(32, 1));
  const std::string nonce = base64Encode(Bytes(16, 2));
  auto parse = [](const std::string& s) { return parsePrivateOptions(asBytes(s)); };
  expectError(parse(R"({"symkey":"AAAA","cipheroptions":{"nonce":")" + nonce + R"("}})"),
              Code::kInvalidArgument, "\"symkey\" is 3 bytes, expected 32");
  expectError(parse(R"({"symkey":")" + key + R"(","cipheroptions":{"nonce":"AAAA"}})"),
              Code::kInvalidArgument, "\"nonce\" is 3 bytes, expected 16");
  expectError(parse(R"({"symkey":")" + key + R"("})"), Code::kInvalidArgument, "cipheroptions");
  expectError(parse(R"({"symkey":")" + key + R"(","cipheroptions":{"nonce":")" + nonce +
                    R"(","iv":"AA=="}})"),
              Code::kInvalidArgument, "unknown member \"iv\"");
  expectError(parse(R"({"symkey":")" + key + R"(","digest":5,"cipheroptions":{"nonce":")" + nonce +
                    R"("}})"),
              Code::kInvalidArgument, "digest");
  expectError(parse(std::string(20000, ' ')), Code::kResourceExhausted, "exceed the limit");
}

TEST(PrivateOptions, RejectsMalformedDocuments) {
  const std::string key = base64Encode(Bytes(32, 1));
  const std::string nonce = base64Encode(Bytes(16, 2));
  auto parse = [](const std::string& s) { return parsePrivateOptions(asBytes(s)); };
  expectError(parse(""), Code::kInvalidArgument, "private layer options: json:");
  expectError(parse(R"({"symkey":")" + key), Code::kInvalidArgument,
              "private layer options: json:");
  expectError(parse(R"(["symkey"])"), Code::kInvalidArgument,
              "private layer options: expected a JSON object, found array");
  expectError(parse(R"({"symkey":"!!!!","cipheroptions":{"nonce":")" + nonce + R"("}})"),
              Code::kInvalidArgument, "private layer options: \"symkey\": ");
  expectError(parse(R"({"cipheroptions":{"nonce":")" + nonce + R"("}})"), Code::kInvalidArgument,
              "symkey");
  expectError(parse(R"({"symkey":")" + key + R"(","cipheroptions":{}})"), Code::kInvalidArgument,
              "private layer options.cipheroptions: json: missing field \"nonce\"");
  expectError(parse(R"({"symkey":")" + key + R"(","cipheroptions":"x"})"), Code::kInvalidArgument,
              "cipheroptions");
  expectError(parse(R"({"symkey":")" + key + R"(","cipheroptions":{"nonce":{"a":{"b":{}}}}})"),
              Code::kResourceExhausted, "nesting deeper than 4 levels");
  // Go writes digest as a string, never null; without it the layer's digest check remains.
  expectError(parse(R"({"symkey":")" + key + R"(","digest":null,"cipheroptions":{"nonce":")" +
                    nonce + R"("}})"),
              Code::kInvalidArgument, "digest");
  EXPECT_TRUE(parse(R"({"symkey":")" + key + R"(","cipheroptions":{"nonce":")" + nonce + R"("}})"));
}

TEST(KeysAnnotation, JoinsBase64Entries) {
  EXPECT_EQ(encodeKeysAnnotation({toBytes("a"), toBytes("bc")}), "YQ==,YmM=");
}

}  // namespace
}  // namespace cocoon::image::crypt
