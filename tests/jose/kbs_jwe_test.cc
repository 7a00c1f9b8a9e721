// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/kbs_jwe.h"

#include <gtest/gtest.h>

#include "crypto/jose/jwk.h"
#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using testing::failsWith;
using testing::jwkKey;
using testing::plain;

// A KBS response for the RFC 7518 Appendix C "Bob" P-256 key, made by an independent
// re-implementation of trustee kbs/src/jwe/mod.rs (Python cryptography): ECDH-ES+A256KW with
// "epk" in the protected header, A256GCM, serde_json member order.
constexpr std::string_view kTrusteeEcResponse =
    "{\"protected\":\"eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsiY3J2I"
    "joiUC0yNTYiLCJrdHkiOiJFQyIsIngiOiJEWGVPUThIRDUyTkgzTjVpdkZoaWQyclFjRnNzdC1fQS1vNC1JN1Z"
    "Td25VIiwieSI6IjJWblVHNzJOaExEWEd5N2JabkNrNUFMS0czVWVfWFVBOTZ4TGp4TFotY2sifX0\",\"encry"
    "pted_key\":\"KyKOoRhAz4s9NqIsY4Sbmopz4KQ6X0DMkY4Ge8WaQ9ZzNOmcVx-RYA\",\"iv\":\"hWRKgQd"
    "40vu0fgf-\",\"ciphertext\":\"N28xlsFZSBU7Cc8Vic-TaYXbJQCuZAp_cBmjDCxk5g\",\"tag\":\"6r"
    "P8fn2hBjUWigo_LbjFKg\"}";
// The same for the RFC 7520 §5.2 RSA key: RSA-OAEP-256, A256GCM.
constexpr std::string_view kTrusteeRsaResponse =
    "{\"protected\":\"eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0\",\"encrypted_key"
    "\":\"se22bkBxDm1lVV5_BDqTR8zkntJ0eodnTVN7N9NDVvzYLCSmWHq9dXkPAVPKOxMeRu-fK33zamCTyBVyg"
    "RdwcDcZHYxtSAA-rHodOG8M6dNKvsGXZ-VAFV2O8-Qu465k2SU0RdrjP6SROnCLMvOwLrSDiZbFGZ4RF-5Vpg1"
    "avNxtGaZM1xzUPevUSlKlmxWmBkMkFRJh2ozaHEP9LPJ3xfuHV1WFMHf-AIe86SjeO_EnTiHzzx0hdYYFcUROK"
    "3XMdbjtLhgdoIB4fWyh2IMD80g4m7Wc-gaj24SE4Yxxzr3zCaslu4pcYWEKi8X3LrOXnp5nkxn-iYsAFaPXUKy"
    "kMR8lRIDNr8Lv9mAVB2gyoyuc_FQHO28CBzSQSLoSlCIJWNBTo7uieEjvd-tOa7M7H8WX80IE408pMGM1ehXzv"
    "DrW_JusnaIrrSa5agr1-0QPVznkqQ77LYqUAi6lj44_8myXfK1WmCCMg35qglPS_RHE6Y3GP0IgfY3YlewNKDm"
    "e58KMe1ggEJAhjJTPC_CMiFCofKCFyGEH_97SqObHCH625ONaFeuBLht1uQkQRm-q2YOYgeQ0z7_YC4xqMN2CE"
    "kJsikf9lRem9oxmhXmcCvw4h-z6r2n3a_xAHyOJtZZCWyjz0u2leWOZBFVHUECOyRedrVx2QLSGjmfjMaCuAUI"
    "\",\"iv\":\"RD89rbxsgnv77o30\",\"ciphertext\":\"lhnoWXPtrZacdNHep1TcGdeztqgvBXVr8d34aV"
    "MY4g\",\"tag\":\"oZkwjuOMD4-yDMWEU8DVzw\"}";
// An ocicrypt-shaped layer key JWE (flattened, protected {"alg":"RSA-OAEP","enc":"A256GCM"})
// for the RFC 7520 §5.2 key, made by an independent JOSE library (jwcrypto 1.5.8).
constexpr std::string_view kOcicryptJwe =
    "{\"ciphertext\":\"wLIsYDhphBpElcJ2X0Pcroarozx0nF0B16CRwSgEGfgI1vtji-t7j3gCAtbmXRsEXeoc"
    "QZb6MPBr4OFtCOEHp2M0rdR3VdmEQr2XUqm74nudM7jcfB_R-bMQA_V6MYu2OMuHbb1HPPWryUhRE4MUmJ82bJ"
    "e2aIROA_sEpKzihEq0gnHqEg6Ce40JQLvE754820Gtkzzc5chohPWcBPYXNOmDgaAVE-N8OefMyBkpYNgNuOzC"
    "g9e-EsVfJsncczDesg\",\"encrypted_key\":\"IiQi4fFZufRKDCdqX-gzpX_YlBjvAGf004ZcqvMDA1EE2"
    "QP08Gj_sqaIXrEWpnPbnqXKX_umKXtaaUOLCGpANUc4TnDM0ZmKlIlamgIionIz7Pr1te8SbRYb412FxLoRU_Z"
    "q402TBsY7vQCol4VWzlCoTfcXOZqWXe5tdHFTTim7MeK1UG3-JduRlofg2x-M-jprOs5wdasARgu7SSxf-lzRP"
    "pxnFoZAS9SugNkQcyzqQ-GbFGtRXviA3DWsTnrIDHQYnmtQi9PIFGuhqUMPwYI_AwdHpsfeMC_LVcONTVUWsja"
    "wTEdZ8T7F7eNPKJDPR4uF9Ss91PXKHVAjCmzzDwg30tuvAxGDicwCp_N5HKDUbkNXXnqW3HerVd43YcFiBerf5"
    "41A7JXP9YSwmUyc07MVH56RFQBj0pJPcAIx2BvBsZK7imj0ISLNxEA88pUS4znnSVUXLG28TCkDgZeWvq_GHM8"
    "eelUF8kHySo20Wm4pbCOPDrZJ6cNSkb6IUr8Uh1mbnzC_rF4RqeSDWe6BIdJhe2QRqXfW4Z-R-OBY1uykCyvmH"
    "_LwMczjqREhAuDhuIaYcNaLYJT8SxRQfs6sXsy_JHUVxPSxdFeu7x2xLDTILIv6iSxlGw2TGUCXQlbgUPRFbTl"
    "yypiC288TowBqoN2fnAbvnteAousMdExyzBA\",\"iv\":\"h09J9tUOVWI6iBH2\",\"protected\":\"eyJ"
    "hbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ\",\"tag\":\"prb7SZ9db9APqou5jBoWHA\"}";
constexpr std::string_view kOcicryptPayload =
    "{\"symkey\":\"dpheyxwb/+8sJQ8B5UWUBY5PqMPFs08AsDgUeavhWpk=\",\"cipheroptions\":{\"nonc"
    "e\":\"CEn4NW/CrScKsGsU6WX5ZA==\"},\"digest\":\"sha256:dac1d7cfa95021764849fd102524e141"
    "488c5e3a90f861dbb5a12d9ac8584f85\"}";

// The "org.opencontainers.image.enc.keys.jwe" annotation (base64-decoded) that skopeo 1.9.3
// (containers/ocicrypt on go-jose) wrote for `skopeo copy --encryption-key jwe:PUB.pem`, PUB
// being the public half of the RFC 7520 §5.2 key, and the layer key envelope inside it.
constexpr std::string_view kSkopeoJwe =
    "{\"protected\":\"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ\",\"encrypted_key\":\""
    "ksmYfSMbgD_blgJDo4uPbykR55xhUtWSrJPzmBYJCjqnVfXonO0mmh8k9C_R0N5fjtGIc8G_1ypqGTyKCnQ0qu"
    "yaVcZ16flFbhk-iFxMdiz3hLkoxNZR3iQEFPjJbsuSrSpCTOIveoPdVq1TRLpY4Y-BiUzYMIsWo4Ywo9KBBR_b"
    "R6VKy8MmsKXYQgOurVDm6_dlMnghm0lHy7a6BvCMcYNSMEHzOu7WDFrbO6zuzuQUfHbDOlmTal38fE8X97Xdnm"
    "7n3koLGAw8TWApDPtQRE4bBEhJ0QxJIcwlSiqinmWuL5AEw_kWPGMcruoTfqP64v1Zq74ZL2smW--gQsJlaGxZ"
    "nPQNWnB5DR9G-mlBqZXRkkDZqP9vYb846NYKHEq4CqbGQI0SdReEj78cve1phIQ67gdalZEvMAP7t5X2F5U6hU"
    "ZjU2FIKR34Ml6nQj6XDhhXjlB7UPU4sbtzvYrwatNR9Q1Yo2OcWl1mm-tKfwW3rrwb2AVQAW-2CYxtlbN5hM9_"
    "g0Ktld4EfoTvBrzHjbCINn82XVlTnfURHQoawCfRUA3GQ9-wEIRREbiZh-HyhiDlZRY7Yda8ddS7gsmVwrRMF4"
    "K_Y0uzlPxrPrZdT6v4tEX1PeTAFf8OB8m8N1IkmFHZtxVJtA5JT20fufxrjq5wB_XPlWUGO5R2jCNDjG0\",\""
    "iv\":\"aVdcE9Ka-jXhm7ol\",\"ciphertext\":\"avjoaxNKzLEli_VcuDyfqcQPRHz2VP4joP2e7BOAV_f"
    "Wm-BKlNX60xEiKjdiCxq5N63C7nyYxz2g6pQ6xFT7qJp4i0KO6HyNJWEWfELiD2k-KBscADp4uzC29c-nvSZJl"
    "XXBp6nLyv6wP4M9VkLDgChIthRsRC6yj3LFYkvH1wbObykc7457FmvSeTFRwaKBho55BKZxF8hA2cH9qTQSfXD"
    "h4Xy4POanJWU8mbtQgsEe7PNr6bZ-ydh9e-7TdR5cqA\",\"tag\":\"ztwJufbtjDySQ1DX4-YFaw\"}";
constexpr std::string_view kSkopeoPayload =
    "{\"symkey\":\"ttHjTQSl7dzVZeFsE4iV8VYoBVeBFcE/D3c7aZuD1oE=\",\"digest\":\"sha256:3d194"
    "12e3eacd0c77ecc6bb65840063d7cbabadcb8af63953df5b2d1c3a662f8\",\"cipheroptions\":{\"non"
    "ce\":\"yg9AqE0N97tVaLjtHOK4xg==\"}}";

constexpr std::string_view kResource = "{\"key\":\"super secret resource\"}";

json::Json protectedHeader(const json::Json& response) {
  return *json::parseJson(toString(*base64UrlDecode(response["protected"].get<std::string>())));
}

TEST(KbsJwe, DecryptsTrusteeShapedResponses) {
  auto ec = decryptKbsResponse(jwkKey(testing::kRfc7518CBobKey), kTrusteeEcResponse);
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_EQ(plain(*ec), kResource);
  auto rsa = decryptKbsResponse(jwkKey(testing::kRfc7520S52Key), kTrusteeRsaResponse);
  ASSERT_TRUE(rsa) << rsa.error().message;
  EXPECT_EQ(plain(*rsa), kResource);
}

TEST(KbsJwe, ProducesTheFlattenedProfileForEveryTeeKeyType) {
  for (KeyType type :
       {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kX25519}) {
    const Key tee = *Key::generate(type);
    auto text = encryptForKbsResponse(tee.publicKey(), asBytes(kResource));
    ASSERT_TRUE(text) << text.error().message;
    const json::Json response = *json::parseJson(*text);
    std::vector<std::string> members;
    for (const auto& [name, value] : response.items()) {
      members.push_back(name);
    }
    EXPECT_EQ(members,
              (std::vector<std::string>{"ciphertext", "encrypted_key", "iv", "protected", "tag"}));
    EXPECT_EQ(base64UrlDecode(response["iv"].get<std::string>())->size(), 12u);
    const json::Json header = protectedHeader(response);
    EXPECT_EQ(header["enc"], "A256GCM");
    if (type == KeyType::kRsa) {
      EXPECT_EQ(header, json::Json({{"alg", "RSA-OAEP-256"}, {"enc", "A256GCM"}}));
    } else {
      EXPECT_EQ(header["alg"], "ECDH-ES+A256KW");
      EXPECT_EQ(header["epk"]["crv"], crypto::keyTypeName(type));
      // A 256-bit CEK wrapped with RFC 3394: 40 bytes.
      EXPECT_EQ(base64UrlDecode(response["encrypted_key"].get<std::string>())->size(), 40u);
    }
    auto opened = decryptKbsResponse(tee, *text);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(plain(*opened), kResource);
  }
}

TEST(KbsJwe, ChoosesTheAlgorithmFromTheKey) {
  EXPECT_EQ(*kbsKeyManagement(*Key::generate(KeyType::kRsa)), KeyManagementAlgorithm::kRsaOaep256);
  EXPECT_EQ(*kbsKeyManagement(*Key::generate(KeyType::kEcP256)),
            KeyManagementAlgorithm::kEcdhEsA256Kw);
  EXPECT_TRUE(
      failsWith(kbsKeyManagement(*Key::generate(KeyType::kEd25519)), JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(encryptForKbsResponse(*Key::generate(KeyType::kEd25519), {}),
                        JoseReason::kKeyMismatch));
}

TEST(KbsJwe, RefusesAnythingOutsideTheProfile) {
  const Key rsa = jwkKey(testing::kRfc7520S52Key);
  // RSA-OAEP with SHA-1 (ocicrypt's choice) is not a KBS algorithm.
  EXPECT_TRUE(failsWith(decryptKbsResponse(rsa, kOcicryptJwe), JoseReason::kAlgorithmNotAllowed));
  const JweRecipient recipient{JweKey(rsa.publicKey()), KeyManagementAlgorithm::kRsaOaep256};
  JweEncryptOptions a128;
  a128.enc = ContentEncryption::kA128Gcm;
  auto other_enc =
      encryptJweJson(asBytes(kResource), std::span(&recipient, 1), a128, JweJsonForm::kFlattened);
  EXPECT_TRUE(failsWith(decryptKbsResponse(rsa, *other_enc), JoseReason::kAlgorithmNotAllowed));
  EXPECT_TRUE(failsWith(decryptKbsResponse(rsa, kTrusteeEcResponse), JoseReason::kKeyMismatch));
  EXPECT_TRUE(failsWith(decryptKbsResponse(*Key::generate(KeyType::kEcP256), kTrusteeEcResponse),
                        JoseReason::kDecryptionFailed));
  EXPECT_TRUE(failsWith(decryptKbsResponse(rsa, "{\"protected\":1}"), JoseReason::kMalformed));
}

TEST(OcicryptJwe, DecryptsWhatSkopeoWrote) {
  auto jwe = decryptJweJson(kSkopeoJwe, JweKey(jwkKey(testing::kRfc7520S52Key)));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), kSkopeoPayload);
  EXPECT_EQ(jwe->header.alg, "RSA-OAEP");
  EXPECT_EQ(jwe->header.enc, "A256GCM");
}

TEST(OcicryptJwe, DecryptsAnRsaOaepLayerKeyEnvelope) {
  auto jwe = decryptJweJson(kOcicryptJwe, JweKey(jwkKey(testing::kRfc7520S52Key)));
  ASSERT_TRUE(jwe) << jwe.error().message;
  EXPECT_EQ(plain(jwe->plaintext), kOcicryptPayload);
  EXPECT_EQ(jwe->header.alg, "RSA-OAEP");
}

}  // namespace
}  // namespace cocoon::jose
