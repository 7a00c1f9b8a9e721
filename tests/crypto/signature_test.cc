// SPDX-License-Identifier: Apache-2.0
// Signatures: published known answers (RFC 8032, RFC 7515, RFC 6979) and exact failures.
#include "crypto/signature.h"

#include <tuple>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "support/asym_vectors.h"
#include "support/expect.h"

namespace cocoon::crypto {
namespace {

using test::expectError;
using test::generated;
using test::unb64u;
using test::unhex;

// ---- Known answers ----------------------------------------------------------------------

// RFC 8032 §7.1, TEST 1-3: secret key, public key, message, signature.
struct Ed25519Case {
  std::string_view secret, public_key, message, signature;
};
const Ed25519Case kEd25519Cases[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
     "f9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0"
     "f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f76098"
     "4dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519, MatchesRfc8032Tests1To3) {
  for (const auto& c : kEd25519Cases) {
    Bytes secret = unhex(c.secret);
    Bytes public_key = unhex(c.public_key);
    auto key = Key::fromOkp(KeyType::kEd25519, public_key, ByteSpan(secret));
    ASSERT_TRUE(key) << key.error().toString();
    auto signature = sign(*key, SignatureScheme::kEd25519, unhex(c.message));
    ASSERT_TRUE(signature) << signature.error().toString();
    EXPECT_EQ(*signature, unhex(c.signature));
    EXPECT_TRUE(
        verify(key->publicKey(), SignatureScheme::kEd25519, unhex(c.message), unhex(c.signature)));
  }
}

TEST(Ed25519, RejectsTamperedMessage) {
  const auto& c = kEd25519Cases[2];
  auto key = Key::fromOkp(KeyType::kEd25519, unhex(c.public_key));
  ASSERT_TRUE(key);
  expectError(verify(*key, SignatureScheme::kEd25519, unhex("af83"), unhex(c.signature)),
              Code::kUnauthenticated, "Ed25519: signature does not verify");
}

TEST(RsaPkcs1, ReproducesRfc7515A2Signature) {
  const auto& v = test::kRfc7515A2;
  Key key = test::rsaKey(v, true);
  auto signature = sign(key, SignatureScheme::kRsaPkcs1Sha256, asBytes(v.signing_input));
  ASSERT_TRUE(signature) << signature.error().toString();
  EXPECT_EQ(*signature, unb64u(v.signature));
  EXPECT_TRUE(verify(test::rsaKey(v, false), SignatureScheme::kRsaPkcs1Sha256,
                     asBytes(v.signing_input), unb64u(v.signature)));
}

TEST(RsaPkcs1, RejectsTamperedSignatureAndOtherHash) {
  const auto& v = test::kRfc7515A2;
  Key key = test::rsaKey(v, false);
  Bytes signature = unb64u(v.signature);
  expectError(verify(key, SignatureScheme::kRsaPkcs1Sha384, asBytes(v.signing_input), signature),
              Code::kUnauthenticated, "RSA-PKCS1-SHA384: signature does not verify");
  expectError(verify(key, SignatureScheme::kRsaPssSha256, asBytes(v.signing_input), signature),
              Code::kUnauthenticated, "RSA-PSS-SHA256: signature does not verify");
  signature[100] ^= 0x01;
  expectError(verify(key, SignatureScheme::kRsaPkcs1Sha256, asBytes(v.signing_input), signature),
              Code::kUnauthenticated);
  signature.pop_back();
  expectError(verify(key, SignatureScheme::kRsaPkcs1Sha256, asBytes(v.signing_input), signature),
              Code::kUnauthenticated);
}

TEST(Ecdsa, VerifiesRfc7515A3AndA4RawSignatures) {
  for (const auto* v : {&test::kRfc7515A3, &test::kRfc7515A4}) {
    SignatureScheme scheme =
        v->type == KeyType::kEcP256 ? SignatureScheme::kEcdsaSha256 : SignatureScheme::kEcdsaSha512;
    Key key = test::ecKey(*v, false);
    Bytes signature = unb64u(v->signature);
    auto ok = verify(key, scheme, asBytes(v->signing_input), signature, EcdsaEncoding::kRaw);
    EXPECT_TRUE(ok) << ok.error().toString();
    signature[3] ^= 0x80;
    expectError(verify(key, scheme, asBytes(v->signing_input), signature, EcdsaEncoding::kRaw),
                Code::kUnauthenticated, "signature does not verify");
  }
}

// RFC 6979 A.2.5 (P-256, SHA-256) and A.2.6 (P-384, SHA-384), message "sample": the public
// key Ux, Uy and the signature r, s.
TEST(Ecdsa, VerifiesRfc6979SampleSignatures) {
  struct Case {
    KeyType type;
    SignatureScheme scheme;
    std::string_view ux, uy, r, s;
  };
  const Case cases[] = {
      {KeyType::kEcP256, SignatureScheme::kEcdsaSha256,
       "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
       "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
       "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
       "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
      {KeyType::kEcP384, SignatureScheme::kEcdsaSha384,
       "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515"
       "480BC13",
       "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD253"
       "3264720",
       "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E8"
       "0FABE46",
       "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A3"
       "8628AC8"},
  };
  for (const auto& c : cases) {
    auto key = Key::fromEc(c.type, unhex(c.ux), unhex(c.uy));
    ASSERT_TRUE(key) << key.error().toString();
    Bytes raw = unhex(c.r);
    Bytes s = unhex(c.s);
    raw.insert(raw.end(), s.begin(), s.end());
    auto ok = verify(*key, c.scheme, asBytes("sample"), raw, EcdsaEncoding::kRaw);
    EXPECT_TRUE(ok) << ok.error().toString();
    auto der = ecdsaRawToDer(raw, keyFieldSize(c.type));
    ASSERT_TRUE(der);
    EXPECT_TRUE(verify(*key, c.scheme, asBytes("sample"), *der));
    expectError(verify(*key, c.scheme, asBytes("samplf"), raw, EcdsaEncoding::kRaw),
                Code::kUnauthenticated);
  }
}

// ---- Round trips ------------------------------------------------------------------------

TEST(Signature, RoundTripsEveryScheme) {
  Key rsa = generated(KeyType::kRsa);
  struct Case {
    SignatureScheme scheme;
    Key key;
  };
  const Case cases[] = {
      {SignatureScheme::kRsaPkcs1Sha256, rsa},
      {SignatureScheme::kRsaPkcs1Sha384, rsa},
      {SignatureScheme::kRsaPkcs1Sha512, rsa},
      {SignatureScheme::kRsaPssSha256, rsa},
      {SignatureScheme::kRsaPssSha384, rsa},
      {SignatureScheme::kRsaPssSha512, rsa},
      {SignatureScheme::kEcdsaSha256, generated(KeyType::kEcP256)},
      {SignatureScheme::kEcdsaSha384, generated(KeyType::kEcP384)},
      {SignatureScheme::kEcdsaSha512, generated(KeyType::kEcP521)},
      {SignatureScheme::kEd25519, generated(KeyType::kEd25519)},
  };
  Bytes message = toBytes("cocoon signature round trip");
  for (const auto& c : cases) {
    SCOPED_TRACE(signatureSchemeName(c.scheme));
    for (EcdsaEncoding encoding : {EcdsaEncoding::kDer, EcdsaEncoding::kRaw}) {
      auto signature = sign(c.key, c.scheme, message, encoding);
      ASSERT_TRUE(signature) << signature.error().toString();
      Key pub = c.key.publicKey();
      auto ok = verify(pub, c.scheme, message, *signature, encoding);
      EXPECT_TRUE(ok) << ok.error().toString();
      Bytes tampered = *signature;
      tampered[tampered.size() / 2] ^= 0x10;
      expectError(verify(pub, c.scheme, message, tampered, encoding), Code::kUnauthenticated,
                  "signature does not verify");
    }
  }
}

TEST(Signature, RawEcdsaHasFixedWidthPerCurve) {
  Bytes message = toBytes("m");
  for (auto [type, scheme, width] :
       {std::tuple{KeyType::kEcP256, SignatureScheme::kEcdsaSha256, 64u},
        std::tuple{KeyType::kEcP384, SignatureScheme::kEcdsaSha384, 96u},
        std::tuple{KeyType::kEcP521, SignatureScheme::kEcdsaSha512, 132u}}) {
    Key key = generated(type);
    auto raw = sign(key, scheme, message, EcdsaEncoding::kRaw);
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->size(), width);
    Bytes longer = *raw;
    longer.push_back(0);
    expectError(verify(key, scheme, message, longer, EcdsaEncoding::kRaw), Code::kUnauthenticated,
                "raw signature must be " + std::to_string(width) + " bytes, found " +
                    std::to_string(width + 1));
  }
}

// RFC 7518 §3.5 fixes the PSS salt at the hash length; a signature with another salt length
// (here the maximum, as `openssl dgst -sigopt rsa_pss_saltlen:max` makes) must not verify.
TEST(RsaPss, RequiresSaltOfHashLength) {
  Key key = test::rsaKey(test::kRfc7515A2, true);
  Bytes message = toBytes("salt");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, const_cast<char*>("pss"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, const_cast<char*>("max"),
                                       0),
      OSSL_PARAM_construct_end()};
  ASSERT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key.raw(), params), 1);
  Bytes signature(256);
  std::size_t len = signature.size();
  ASSERT_EQ(EVP_DigestSign(ctx, signature.data(), &len, message.data(), message.size()), 1);
  EVP_MD_CTX_free(ctx);
  expectError(verify(key, SignatureScheme::kRsaPssSha256, message, signature),
              Code::kUnauthenticated, "RSA-PSS-SHA256: signature does not verify");
  auto ours = sign(key, SignatureScheme::kRsaPssSha256, message);
  ASSERT_TRUE(ours);
  EXPECT_NE(*ours, signature);
  EXPECT_TRUE(verify(key, SignatureScheme::kRsaPssSha256, message, *ours));
}

// AMD's ARK/ASK keys are RSASSA-PSS keys (id-RSASSA-PSS SubjectPublicKeyInfo): they are
// kRsa keys that OpenSSL lets sign and verify PSS only.
TEST(RsaPss, AcceptsPssRestrictedKeys) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr);
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx), 1);
  ASSERT_EQ(EVP_PKEY_generate(ctx, &raw), 1);
  EVP_PKEY_CTX_free(ctx);
  auto key = Key::adopt(raw);
  ASSERT_TRUE(key) << key.error().toString();
  EXPECT_EQ(key->type(), KeyType::kRsa);
  auto pub = Key::fromPem(key->publicPem());
  ASSERT_TRUE(pub) << pub.error().toString();
  Bytes message = toBytes("ark");
  auto signature = sign(*key, SignatureScheme::kRsaPssSha384, message);
  ASSERT_TRUE(signature) << signature.error().toString();
  EXPECT_TRUE(verify(*pub, SignatureScheme::kRsaPssSha384, message, *signature));
  expectError(sign(*key, SignatureScheme::kRsaPkcs1Sha256, message), Code::kInvalidArgument,
              "RSA-PKCS1-SHA256: the key cannot be used with this scheme");
  expectError(verify(*pub, SignatureScheme::kRsaPkcs1Sha384, message, *signature),
              Code::kInvalidArgument, "the key cannot be used with this scheme");
}

// ---- Scheme and key mismatches ----------------------------------------------------------

TEST(Signature, EachEcdsaSchemeBindsOneCurve) {
  Key p384 = generated(KeyType::kEcP384);
  Bytes message = toBytes("m");
  expectError(sign(p384, SignatureScheme::kEcdsaSha256, message), Code::kInvalidArgument,
              "ECDSA-SHA256: key must be P-256, found P-384");
  auto signature = sign(p384, SignatureScheme::kEcdsaSha384, message);
  ASSERT_TRUE(signature);
  expectError(verify(p384, SignatureScheme::kEcdsaSha256, message, *signature),
              Code::kInvalidArgument, "ECDSA-SHA256: key must be P-256, found P-384");
  expectError(verify(p384, SignatureScheme::kEcdsaSha512, message, *signature),
              Code::kInvalidArgument, "key must be P-521");
}

TEST(Signature, RejectsKeyOfAnotherAlgorithm) {
  Bytes message = toBytes("m");
  Key rsa = test::rsaKey(test::kRfc7515A2, true);
  Key ed = generated(KeyType::kEd25519);
  Key x = generated(KeyType::kX25519);
  expectError(sign(rsa, SignatureScheme::kEcdsaSha256, message), Code::kInvalidArgument,
              "key must be P-256, found RSA");
  expectError(verify(ed, SignatureScheme::kRsaPssSha256, message, Bytes(256)),
              Code::kInvalidArgument, "RSA-PSS-SHA256: key must be RSA, found Ed25519");
  expectError(sign(x, SignatureScheme::kEd25519, message), Code::kInvalidArgument,
              "Ed25519: key must be Ed25519, found X25519");
}

TEST(Signature, SigningNeedsPrivateKey) {
  Key pub = generated(KeyType::kEcP256).publicKey();
  expectError(sign(pub, SignatureScheme::kEcdsaSha256, toBytes("m")), Code::kFailedPrecondition,
              "ECDSA-SHA256: signing needs a private key");
  expectError(
      sign(test::rsaKey(test::kRfc7515A2, false), SignatureScheme::kRsaPssSha256, toBytes("m")),
      Code::kFailedPrecondition);
}

TEST(Signature, MalformedDerSignatureIsUnauthenticated) {
  Key key = generated(KeyType::kEcP256);
  expectError(verify(key, SignatureScheme::kEcdsaSha256, toBytes("m"), unhex("3000")),
              Code::kUnauthenticated);
  expectError(verify(key, SignatureScheme::kEcdsaSha256, toBytes("m"), {}), Code::kUnauthenticated);
}

// ---- DER <-> raw ------------------------------------------------------------------------

TEST(EcdsaEncoding, ConvertsBetweenRawAndDer) {
  // r = 1, s = 0x80 (needs a leading zero byte in DER).
  Bytes raw(64, 0);
  raw[31] = 0x01;
  raw[63] = 0x80;
  auto der = ecdsaRawToDer(raw, 32);
  ASSERT_TRUE(der);
  EXPECT_EQ(*der, unhex("3007020101020200"
                        "80"));
  auto back = ecdsaDerToRaw(*der, 32);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, raw);
}

TEST(EcdsaEncoding, RejectsMalformedInput) {
  expectError(ecdsaRawToDer(Bytes(63), 32), Code::kInvalidArgument,
              "expected 2 x 32 bytes, found 63");
  expectError(ecdsaDerToRaw(unhex("300702010102020080"
                                  "00"),
                            32),
              Code::kInvalidArgument, "1 trailing bytes after the DER");
  expectError(ecdsaDerToRaw(unhex("30820007020101020200"
                                  "80"),
                            32),
              Code::kInvalidArgument, "not in canonical DER form");
  expectError(ecdsaDerToRaw(unhex("300602010102"), 32), Code::kInvalidArgument,
              "not a DER SEQUENCE of two INTEGERs");
  expectError(ecdsaDerToRaw(unhex("30060201ff020101"), 32), Code::kInvalidArgument,
              "not a DER SEQUENCE of two INTEGERs");  // negative r
  Bytes big_r = unhex("3026022101");
  big_r.insert(big_r.end(), 32, 0);
  big_r.insert(big_r.end(), {0x02, 0x01, 0x01});
  expectError(ecdsaDerToRaw(big_r, 32), Code::kInvalidArgument, "r does not fit 32 bytes");
  Bytes wide(66, 0x7f);
  wide.insert(wide.end(), 66, 0x01);
  auto der = ecdsaRawToDer(wide, 66);
  ASSERT_TRUE(der);
  expectError(ecdsaDerToRaw(*der, 48), Code::kInvalidArgument, "r does not fit 48 bytes");
}

}  // namespace
}  // namespace cocoon::crypto
