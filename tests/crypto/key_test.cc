// SPDX-License-Identifier: Apache-2.0
// Keys: generation, PEM/DER codecs, JWK components, and every rejection with its code.
#include "crypto/key.h"

#include <gtest/gtest.h>

#include "support/asym_vectors.h"
#include "support/expect.h"

namespace cocoon::crypto {
namespace {

using test::expectError;
using test::generated;
using test::unb64u;
using test::unhex;

const KeyType kAllTypes[] = {KeyType::kRsa,    KeyType::kEcP256,  KeyType::kEcP384,
                             KeyType::kEcP521, KeyType::kEd25519, KeyType::kX25519};

// `openssl ecparam -name secp256k1 -genkey | openssl pkey -pubout` (OpenSSL 3.0).
constexpr std::string_view kSecp256k1Pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEC94NXsXHYLXtpShpr3OSTRKDUw1l8JOk\n"
    "8a39thjmKvgTVw+uW84QpgypDV7g/VWOEG80WbramjCI36UdQNqXtg==\n"
    "-----END PUBLIC KEY-----\n";

// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl pkey -pubout`.
constexpr std::string_view kRsa1024Pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDmWq89iu9eA0upXO+SWE6pWjvC\n"
    "ETCdn9ll7k95fl3AWI+f/W1VyHU924FCgXTlTDTIAwtOajyf4v00QqnFlMp0C18d\n"
    "KMH9qDfBMheFAcApJxHxuR4UPwuYlqxTeSTPRM0MKZiQNHA5CFdTxRvtUlssRJo7\n"
    "GLv0uLukV9nrGGbEuQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

// The RFC 7515 A.3 key encrypted by `openssl ec -aes128` (legacy PEM encryption headers).
constexpr std::string_view kEncryptedEcPem =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "Proc-Type: 4,ENCRYPTED\n"
    "DEK-Info: AES-128-CBC,A5EC1C7A57D891DA1A92D9AED786B19A\n"
    "\n"
    "9U1Z6j/Z/cGb+bzrhHBy1/hQe/jVtkJfe1QPburfAGaXsWbJbZaHcrHpRd6JcCEZ\n"
    "Oa2poY59Fjj3fUyjfBlbfOw/xX33ArgPfFQ39ikwtnMPL5odvYcd5O9bNhd0yw+R\n"
    "i431LBnR/tnGpDPMmC9JrxS2hs5G0Us0YxuJne1n38M=\n"
    "-----END EC PRIVATE KEY-----\n";

TEST(Key, GeneratesEveryTypeWithItsSize) {
  const unsigned expected_bits[] = {2048, 256, 384, 521, 255, 255};
  for (std::size_t i = 0; i < std::size(kAllTypes); ++i) {
    Key key = generated(kAllTypes[i]);
    EXPECT_EQ(key.type(), kAllTypes[i]);
    EXPECT_TRUE(key.hasPrivate());
    EXPECT_EQ(key.bits(), expected_bits[i]) << keyTypeName(kAllTypes[i]);
  }
}

TEST(Key, RejectsRsaSizesOutsideRange) {
  expectError(Key::generate(KeyType::kRsa, 1024), Code::kInvalidArgument,
              "size must be 2048..8192 bits, found 1024");
  expectError(Key::generate(KeyType::kRsa, 8200), Code::kInvalidArgument, "found 8200");
}

TEST(Key, CopiesShareTheOpensslObject) {
  Key key = generated(KeyType::kEcP256);
  Key copy = key;
  EXPECT_EQ(copy.raw(), key.raw());
  Key assigned = generated(KeyType::kEd25519);
  assigned = copy;
  EXPECT_EQ(assigned.raw(), key.raw());
  EXPECT_EQ(assigned.type(), KeyType::kEcP256);
  Key moved = std::move(copy);
  EXPECT_EQ(moved.raw(), key.raw());
}

TEST(Key, PublicKeyDropsThePrivatePart) {
  for (KeyType type : kAllTypes) {
    Key key = generated(type);
    Key pub = key.publicKey();
    EXPECT_FALSE(pub.hasPrivate());
    EXPECT_TRUE(pub.samePublicKey(key)) << keyTypeName(type);
    expectError(pub.privateDer(), Code::kFailedPrecondition, "no private part");
  }
}

TEST(Key, SamePublicKeyDistinguishesKeys) {
  Key a = generated(KeyType::kEcP256);
  Key b = generated(KeyType::kEcP256);
  EXPECT_FALSE(a.samePublicKey(b));
  EXPECT_FALSE(a.samePublicKey(generated(KeyType::kEcP384)));
}

TEST(Key, RoundTripsPemAndDerForEveryType) {
  for (KeyType type : kAllTypes) {
    SCOPED_TRACE(keyTypeName(type));
    Key key = generated(type);
    auto from_public_pem = Key::fromPem(key.publicPem());
    ASSERT_TRUE(from_public_pem) << from_public_pem.error().toString();
    EXPECT_FALSE(from_public_pem->hasPrivate());
    EXPECT_TRUE(from_public_pem->samePublicKey(key));

    auto from_public_der = Key::fromPublicDer(key.publicDer());
    ASSERT_TRUE(from_public_der);
    EXPECT_TRUE(from_public_der->samePublicKey(key));

    auto private_pem = key.privatePem();
    ASSERT_TRUE(private_pem);
    EXPECT_EQ(private_pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto from_private_pem = Key::fromPem(*private_pem);
    ASSERT_TRUE(from_private_pem) << from_private_pem.error().toString();
    EXPECT_TRUE(from_private_pem->hasPrivate());
    EXPECT_EQ(from_private_pem->type(), type);
    EXPECT_TRUE(from_private_pem->samePublicKey(key));

    auto private_der = key.privateDer();
    ASSERT_TRUE(private_der);
    auto from_private_der = Key::fromPrivateDer(private_der->span());
    ASSERT_TRUE(from_private_der);
    EXPECT_TRUE(from_private_der->hasPrivate());
  }
}

TEST(Key, ReadsTraditionalRsaPems) {
  auto key = Key::fromPem(test::kRfc7515A2RsaPrivatePem);
  ASSERT_TRUE(key) << key.error().toString();
  EXPECT_TRUE(key->hasPrivate());
  EXPECT_EQ(key->bits(), 2048u);
  auto components = key->rsaComponents();
  ASSERT_TRUE(components);
  EXPECT_EQ(components->n, unb64u(test::kRfc7515A2.n));
  EXPECT_EQ(components->e, unb64u(test::kRfc7515A2.e));
  ASSERT_TRUE(components->qi);
  EXPECT_EQ(Bytes(components->qi->span().begin(), components->qi->span().end()),
            unb64u(test::kRfc7515A2.qi));

  auto pub = Key::fromPem(test::kRfc7515A2RsaPublicPkcs1Pem);
  ASSERT_TRUE(pub) << pub.error().toString();
  EXPECT_FALSE(pub->hasPrivate());
  EXPECT_TRUE(pub->samePublicKey(*key));
}

TEST(Key, ReadsTraditionalEcPem) {
  auto key = Key::fromPem(test::kRfc7515A3EcPrivatePem);
  ASSERT_TRUE(key) << key.error().toString();
  EXPECT_EQ(key->type(), KeyType::kEcP256);
  auto point = key->ecPoint();
  ASSERT_TRUE(point);
  EXPECT_EQ(point->x, unb64u(test::kRfc7515A3.x));
  EXPECT_EQ(point->y, unb64u(test::kRfc7515A3.y));
  ASSERT_TRUE(point->d);
  EXPECT_EQ(Bytes(point->d->span().begin(), point->d->span().end()), unb64u(test::kRfc7515A3.d));
}

TEST(Key, RejectsEncryptedPems) {
  expectError(Key::fromPem(kEncryptedEcPem), Code::kInvalidArgument,
              "has RFC 1421 headers (encrypted keys are not supported)");
  std::string pkcs8 =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHsMFcG\n"
      "-----END ENCRYPTED PRIVATE KEY-----\n";
  expectError(Key::fromPem(pkcs8), Code::kInvalidArgument,
              "unsupported label 'ENCRYPTED PRIVATE KEY'");
}

TEST(Key, RejectsMalformedPems) {
  std::string pem(kSecp256k1Pem);
  expectError(Key::fromPem(pem + "garbage"), Code::kInvalidArgument,
              "unexpected text at offset 174 after the last block");
  expectError(Key::fromPem(pem + pem), Code::kInvalidArgument, "more than 1 blocks");
  expectError(Key::fromPem(""), Code::kInvalidArgument, "no BEGIN line");
  expectError(Key::fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
              Code::kInvalidArgument, "BEGIN 'PUBLIC KEY' closed by END 'PRIVATE KEY'");
  expectError(Key::fromPem("-----BEGIN PUBLIC KEY-----\nA*AA\n-----END PUBLIC KEY-----\n"),
              Code::kInvalidArgument, "'PUBLIC KEY' body");
  expectError(Key::fromPem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"),
              Code::kInvalidArgument, "not a valid DER SubjectPublicKeyInfo");
  expectError(Key::fromPem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
              Code::kInvalidArgument, "unsupported label 'CERTIFICATE'");
}

TEST(Key, RejectsTrailingBytesAfterDer) {
  Bytes der = generated(KeyType::kEcP256).publicDer();
  der.push_back(0);
  expectError(Key::fromPublicDer(der), Code::kInvalidArgument, "1 trailing bytes");
  expectError(Key::fromPublicDer({}), Code::kInvalidArgument, "not a valid DER");
}

TEST(Key, RejectsUnsupportedCurveAndSmallRsa) {
  expectError(Key::fromPem(kSecp256k1Pem), Code::kInvalidArgument, "unsupported curve 'secp256k1'");
  expectError(Key::fromPem(kRsa1024Pem), Code::kInvalidArgument,
              "modulus must be 2048..16384 bits, found 1024");
}

// ---- JWK components ---------------------------------------------------------------------

TEST(Key, BuildsRsaFromComponentsAndExportsThem) {
  Key key = test::rsaKey(test::kRfc7515A2, true);
  EXPECT_TRUE(key.hasPrivate());
  auto from_pem = Key::fromPem(test::kRfc7515A2RsaPrivatePem);
  ASSERT_TRUE(from_pem);
  EXPECT_TRUE(key.samePublicKey(*from_pem));
  auto c = key.rsaComponents();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->d && c->p && c->q && c->dp && c->dq);
  EXPECT_EQ(Bytes(c->d->span().begin(), c->d->span().end()), unb64u(test::kRfc7515A2.d));
  EXPECT_EQ(Bytes(c->dq->span().begin(), c->dq->span().end()), unb64u(test::kRfc7515A2.dq));

  Key pub = test::rsaKey(test::kRfc7515A2, false);
  EXPECT_FALSE(pub.hasPrivate());
  auto pc = pub.rsaComponents();
  ASSERT_TRUE(pc);
  EXPECT_FALSE(pc->d.has_value());
  EXPECT_EQ(pc->n, unb64u(test::kRfc7515A2.n));
}

TEST(Key, FromRsaRejectsInvalidComponents) {
  // Modulus of the 1024-bit key above.
  RsaComponents small;
  small.n = unhex(
      "e65aaf3d8aef5e034ba95cef92584ea95a3bc211309d9fd965ee4f797e5dc0588f9ffd6d55c8753ddb81428174"
      "e54c34c8030b4e6a3c9fe2fd3442a9c594ca740b5f1d28c1fda837c132178501c0292711f1b91e143f0b9896ac"
      "537924cf44cd0c299890347039085753c51bed525b2c449a3b18bbf4b8bba457d9eb1866c4b9");
  small.e = {1, 0, 1};
  expectError(Key::fromRsa(small), Code::kInvalidArgument,
              "modulus must be 2048..16384 bits, found 1024");

  RsaComponents partial = test::rsaComponents(test::kRfc7515A2, true);
  partial.qi.reset();
  expectError(Key::fromRsa(partial), Code::kInvalidArgument, "found 5 of 6");

  RsaComponents wrong_d = test::rsaComponents(test::kRfc7515A2, true);
  wrong_d.d->data()[10] ^= 1;
  expectError(Key::fromRsa(wrong_d), Code::kInvalidArgument, "RSA key: private key check failed");

  RsaComponents even_e = test::rsaComponents(test::kRfc7515A2, false);
  even_e.e = {2};
  expectError(Key::fromRsa(even_e), Code::kInvalidArgument, "RSA key: public key check failed");

  RsaComponents even = test::rsaComponents(test::kRfc7515A2, false);
  even.n.back() &= 0xfe;
  expectError(Key::fromRsa(even), Code::kInvalidArgument, "RSA key: public key check failed");
}

TEST(Key, BuildsEcFromComponentsAndExportsThem) {
  for (const auto* v : {&test::kRfc7515A3, &test::kRfc7515A4}) {
    Key key = test::ecKey(*v, true);
    EXPECT_TRUE(key.hasPrivate());
    EXPECT_EQ(key.type(), v->type);
    auto point = key.ecPoint();
    ASSERT_TRUE(point);
    EXPECT_EQ(point->x, unb64u(v->x));
    EXPECT_EQ(point->y, unb64u(v->y));
    EXPECT_EQ(point->x.size(), keyFieldSize(v->type));
    Key pub = test::ecKey(*v, false);
    EXPECT_FALSE(pub.hasPrivate());
    EXPECT_TRUE(pub.samePublicKey(key));
  }
}

TEST(Key, FromEcRejectsInvalidComponents) {
  Bytes x = unb64u(test::kRfc7515A3.x);
  Bytes y = unb64u(test::kRfc7515A3.y);
  Bytes d = unb64u(test::kRfc7515A3.d);
  Bytes bad_y = y;
  bad_y.back() ^= 1;
  expectError(Key::fromEc(KeyType::kEcP256, x, bad_y), Code::kInvalidArgument,
              "EC key P-256: components do not form a key: point is not on curve");
  Bytes other_d = d;
  other_d[5] ^= 1;
  expectError(Key::fromEc(KeyType::kEcP256, x, y, ByteSpan(other_d)), Code::kInvalidArgument,
              "EC key P-256: private key check failed");
  expectError(Key::fromEc(KeyType::kEcP384, x, y), Code::kInvalidArgument,
              "must be 48 bytes each, found 32, 32 and 48");
  expectError(Key::fromEc(KeyType::kEd25519, x, y), Code::kInvalidArgument,
              "Ed25519 is not an EC curve");
  Bytes zero(32, 0);
  expectError(Key::fromEc(KeyType::kEcP256, x, y, ByteSpan(zero)), Code::kInvalidArgument,
              "private key check failed");
}

// RFC 8032 §7.1 TEST 1: secret and public key.
constexpr std::string_view kEd25519Secret =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kEd25519Public =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

TEST(Key, BuildsOkpFromComponentsAndExportsThem) {
  Bytes x = unhex(kEd25519Public);
  Bytes d = unhex(kEd25519Secret);
  auto key = Key::fromOkp(KeyType::kEd25519, x, ByteSpan(d));
  ASSERT_TRUE(key) << key.error().toString();
  EXPECT_TRUE(key->hasPrivate());
  auto okp = key->okpKey();
  ASSERT_TRUE(okp);
  EXPECT_EQ(okp->x, x);
  ASSERT_TRUE(okp->d);
  EXPECT_EQ(Bytes(okp->d->span().begin(), okp->d->span().end()), d);
  auto pub = Key::fromOkp(KeyType::kEd25519, x);
  ASSERT_TRUE(pub);
  EXPECT_FALSE(pub->hasPrivate());
  EXPECT_TRUE(pub->samePublicKey(*key));
}

TEST(Key, FromOkpRejectsInvalidComponents) {
  Bytes x = unhex(kEd25519Public);
  Bytes d = unhex(kEd25519Secret);
  Bytes other_x = x;
  other_x[0] ^= 1;
  expectError(Key::fromOkp(KeyType::kEd25519, other_x, ByteSpan(d)), Code::kInvalidArgument,
              "Ed25519 key: private key d does not match public key x");
  expectError(Key::fromOkp(KeyType::kX25519, Bytes(31, 1)), Code::kInvalidArgument,
              "X25519 key: x and d must be 32 bytes each, found 31");
  expectError(Key::fromOkp(KeyType::kEcP256, x), Code::kInvalidArgument,
              "P-256 is not Ed25519 or X25519");
}

TEST(Key, ComponentGettersRefuseOtherTypes) {
  Key ec = generated(KeyType::kEcP256);
  Key ed = generated(KeyType::kEd25519);
  expectError(ec.rsaComponents(), Code::kFailedPrecondition, "P-256 key has no RSA components");
  expectError(ed.ecPoint(), Code::kFailedPrecondition, "Ed25519 key has no EC point");
  expectError(ec.okpKey(), Code::kFailedPrecondition, "P-256 key is not an OKP key");
}

TEST(Key, AdoptRejectsNull) {
  expectError(Key::adopt(nullptr), Code::kInvalidArgument, "no key given");
}

TEST(KeyType, NamesAndFieldSizes) {
  EXPECT_EQ(keyTypeName(KeyType::kEcP521), "P-521");
  EXPECT_EQ(keyTypeName(KeyType::kEd25519), "Ed25519");
  EXPECT_EQ(keyFieldSize(KeyType::kEcP521), 66u);
  EXPECT_EQ(keyFieldSize(KeyType::kRsa), 0u);
}

}  // namespace
}  // namespace cocoon::crypto
