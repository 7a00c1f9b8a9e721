// SPDX-License-Identifier: Apache-2.0
// Sealed secrets: CoCo's published payloads and signing key open as CoCo opens them, and
// every altered, unsigned-where-signed, unsupported or malformed secret fails with its code.
#include "attest/cdh/sealed_secret.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/jose/jwk.h"
#include "support/expect.h"

namespace cocoon::attest::cdh {
namespace {

using ::cocoon::test::expectError;

// confidential-containers/guest-components @ 8246e5e0977f6322f0a1b0f77e0739cf1c3e1f74,
// confidential-data-hub/hub/src/secret/tests/: vault-2.json, vault-1.json, envelope-1.json
// and the ES256 signing key test-key.json.
constexpr std::string_view kCocoVaultKbs = R"({
  "version": "0.1.0",
  "type": "vault",
  "name": "kbs:///one/2/trois",
  "provider": "kbs",
  "provider_settings": {},
  "annotations": {}
})";
constexpr std::string_view kCocoVaultAliyun = R"({
  "version": "0.1.0",
  "type": "vault",
  "name": "xxx",
  "provider": "aliyun",
  "provider_settings": {},
  "annotations": {}
})";
constexpr std::string_view kCocoEnvelope = R"({
  "version": "0.1.0",
  "type": "envelope",
  "key_id": "xxx",
  "encrypted_key": "yyy",
  "encrypted_data": "zzz",
  "wrap_type": "A256GCM",
  "iv": "www",
  "provider": "aliyun",
  "provider_settings": {},
  "annotations": {}
})";
constexpr std::string_view kCocoTestKey = R"({
    "kty": "EC",
    "d": "7baJLiTk68NcLgYPv05jJvElqoAhbzi1ZWx4OyILUtA",
    "use": "sig",
    "crv": "P-256",
    "kid": "test-key",
    "x": "QT3_slJmispaOwnAo6hxebXGLRuiveFuRCLpS4j4S4k",
    "y": "jcDn4N4nRBQ-a7_D3qjqtb6hwOAXh_ve1wvibPSi1G0",
    "alg": "ES256"
})";

// The unsigned form CoCo's tools write: placeholder header and signature.
std::string unsignedSealed(std::string_view payload_json) {
  return "sealed.fakejwsheader." + base64UrlEncode(asBytes(payload_json)) + ".fakesignature";
}

crypto::Key cocoKey() {
  auto jwk = jose::parseJwk(kCocoTestKey);
  EXPECT_TRUE(jwk) << jwk.error().toString();
  return jwk->key;
}

jose::JwsSigner cocoSigner() {
  jose::JwsSigner signer{cocoKey(), jose::JwsAlgorithm::kEs256};
  signer.protected_params["kid"] = "test-key";
  return signer;
}

TEST(SealedSecret, OpensCocoUnsignedVaultPayload) {
  auto opened = openSealedSecret(unsignedSealed(kCocoVaultKbs));
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_EQ(opened->type, SealedSecretType::kVault);
  EXPECT_EQ(opened->vault.provider, "kbs");
  EXPECT_EQ(opened->vault.name, "kbs:///one/2/trois");
  EXPECT_FALSE(opened->signature_verified);
  EXPECT_FALSE(opened->kid);
}

TEST(SealedSecret, SealsTheCocoPayloadMembers) {
  auto sealed = sealVaultSecret("kbs:///one/2/trois", std::nullopt);
  ASSERT_TRUE(sealed);
  ASSERT_TRUE(sealed->starts_with("sealed.fakejwsheader."));
  const std::string payload_b64 = sealed->substr(21, sealed->rfind('.') - 21);
  auto payload = base64UrlDecode(payload_b64);
  ASSERT_TRUE(payload);
  EXPECT_EQ(json::Json::parse(toString(*payload)), json::Json::parse(kCocoVaultKbs));
}

TEST(SealedSecret, SignedWithCocoTestKeyVerifiesAndReportsKid) {
  auto sealed = sealVaultSecret("kbs:///default/sealed/test", cocoSigner());
  ASSERT_TRUE(sealed) << sealed.error().toString();
  const crypto::Key public_key = cocoKey().publicKey();
  auto opened = openSealedSecret(*sealed, &public_key);
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_TRUE(opened->signature_verified);
  EXPECT_EQ(opened->kid, "test-key");
  EXPECT_EQ(opened->vault.name, "kbs:///default/sealed/test");
  // Without a key the same secret still opens (CoCo's skip-verification mode).
  EXPECT_TRUE(openSealedSecret(*sealed));
}

TEST(SealedSecret, TamperedPayloadIsRefused) {
  auto sealed = sealVaultSecret("kbs:///default/sealed/test", cocoSigner());
  ASSERT_TRUE(sealed);
  const std::size_t first = sealed->find('.', 7);
  const std::size_t last = sealed->rfind('.');
  const std::string forged_payload =
      base64UrlEncode(asBytes(R"({"version":"0.1.0","type":"vault","name":"kbs:///other/key/x",)"
                              R"("provider":"kbs","provider_settings":{},"annotations":{}})"));
  const std::string forged = sealed->substr(0, first + 1) + forged_payload + sealed->substr(last);
  const crypto::Key key = cocoKey();
  expectError(openSealedSecret(forged, &key), Code::kUnauthenticated, "BAD_SIGNATURE");
}

TEST(SealedSecret, WrongKeyOrUnsignedIsRefusedWhenAKeyIsConfigured) {
  auto sealed = sealVaultSecret("kbs:///default/sealed/test", cocoSigner());
  ASSERT_TRUE(sealed);
  auto other = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other);
  expectError(openSealedSecret(*sealed, &*other), Code::kUnauthenticated, "BAD_SIGNATURE");
  auto rsa = crypto::Key::generate(crypto::KeyType::kRsa);
  ASSERT_TRUE(rsa);
  expectError(openSealedSecret(*sealed, &*rsa), Code::kUnauthenticated, "sealed secret signature");
  const crypto::Key key = cocoKey();
  expectError(openSealedSecret(unsignedSealed(kCocoVaultKbs), &key), Code::kUnauthenticated,
              "sealed secret signature");
}

TEST(SealedSecret, EnvelopeAndOtherProvidersAreUnimplemented) {
  expectError(openSealedSecret(unsignedSealed(kCocoEnvelope)), Code::kUnimplemented,
              "type \"envelope\"");
  expectError(openSealedSecret(unsignedSealed(kCocoVaultAliyun)), Code::kUnimplemented,
              "vault provider \"aliyun\"");
  expectError(openSealedSecret(unsignedSealed(R"({"version":"0.1.0","type":"kms"})")),
              Code::kUnimplemented, "unknown type \"kms\"");
}

TEST(SealedSecret, MalformedSecretsAreInvalidArguments) {
  const std::string payload = base64UrlEncode(asBytes(kCocoVaultKbs));
  expectError(openSealedSecret("fakejwsheader." + payload + ".sig"), Code::kInvalidArgument,
              "does not start with \"sealed.\"");
  expectError(openSealedSecret("sealed." + payload + ".sig"), Code::kInvalidArgument,
              "found 2 segments");
  expectError(openSealedSecret("sealed.a." + payload + ".b.c"), Code::kInvalidArgument,
              "found 4 segments");
  expectError(openSealedSecret("sealed.a.!!!.b"), Code::kInvalidArgument, "payload");
  expectError(openSealedSecret(unsignedSealed("[1]")), Code::kInvalidArgument, "not a JSON object");
  expectError(openSealedSecret(unsignedSealed(R"({"version":"0.2.0","type":"vault"})")),
              Code::kInvalidArgument, "version \"0.2.0\", expected \"0.1.0\"");
  expectError(openSealedSecret(unsignedSealed(
                  R"({"version":"0.1.0","type":"vault","name":"kbs:///a/b/c","provider":"kbs",)"
                  R"("provider_settings":{},"annotations":{},"value":"x"})")),
              Code::kInvalidArgument, "unknown member \"value\"");
  expectError(openSealedSecret(unsignedSealed(
                  R"({"version":"0.1.0","type":"vault","name":"kbs:///a/b","provider":"kbs",)"
                  R"("provider_settings":{}})")),
              Code::kInvalidArgument, "2 segments");
  expectError(openSealedSecret(unsignedSealed(
                  R"({"version":"0.1.0","type":"vault","name":"kbs:///a/../c","provider":"kbs",)"
                  R"("provider_settings":{}})")),
              Code::kInvalidArgument);
  expectError(openSealedSecret(std::string(kMaxSealedSecretBytes + 1, 'a')),
              Code::kResourceExhausted, "at most 65536");
}

TEST(SealedSecret, SealRefusesBadNamesAndPublicKeys) {
  expectError(sealVaultSecret("https://kbs/a/b/c", std::nullopt), Code::kInvalidArgument);
  expectError(sealVaultSecret("kbs:///a/b/c/d", std::nullopt), Code::kInvalidArgument,
              "4 segments");
  jose::JwsSigner public_only{cocoKey().publicKey(), jose::JwsAlgorithm::kEs256};
  expectError(sealVaultSecret("kbs:///a/b/c", public_only), Code::kInvalidArgument);
}

TEST(SealedSecret, KbsResourcePathIgnoresTheAuthority) {
  EXPECT_EQ(kbsResourcePath("kbs://kbs.example:8080/default/key/k1").value_or(""),
            "default/key/k1");
  expectError(kbsResourcePath("kbs+plugin:///a/b/c"), Code::kInvalidArgument, "plugin");
}

}  // namespace
}  // namespace cocoon::attest::cdh
