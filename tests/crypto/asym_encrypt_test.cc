// SPDX-License-Identifier: Apache-2.0
// RSA-OAEP, ECDH and Concat KDF: published vectors, OpenSSL-made ciphertexts, exact failures.
#include "crypto/asym_encrypt.h"

#include <gtest/gtest.h>

#include "support/asym_vectors.h"
#include "support/expect.h"

namespace cocoon::crypto {
namespace {

using test::expectError;
using test::generated;
using test::unb64u;
using test::unhex;

Bytes plain(const SecretBytes& s) {
  return Bytes(s.span().begin(), s.span().end());
}

// ---- RSA-OAEP ---------------------------------------------------------------------------

constexpr std::string_view kOaepPlaintext = "cocoon OAEP vector";
// `openssl pkeyutl -encrypt -pubin -inkey <RFC 7515 A.2 public key> -pkeyopt
// rsa_padding_mode:oaep [-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256]` of
// kOaepPlaintext (OpenSSL 3.0.19).
constexpr std::string_view kOaepSha1Ciphertext =
    "08c506692f13d4fa7581a057e7ea9db19111e24160b145dcc536b17353003d40e00a8e9534031177edcb5f4218"
    "d11d6bc6bb439a5bc47c99fb6dd15f84572af1622e63342e763935c1fcc955957d57fa0c2bc9198967d68ebc66"
    "bf492740309117455b8583d58d98cf2c7f41f775282660536f835a51843b2edfe7269e084a99c259c5bba725b8"
    "a2bf119ad24cc61fa9ba67ed638e9d4473ae6a12f2d828eae68b857150ba37a77d29eca43c189012d55f094ce9"
    "1906aebe15e906a5934a552b076c88fdf9383fe048dc6f83ddd073bce8d4f45a908e489789312998e819701802"
    "38d45d808f9f867a9776b837661e9f43437d7c6517c727699fe17aed0c236b";
constexpr std::string_view kOaepSha256Ciphertext =
    "79275b3ec3a38fd08e00cc7bcad70c693b8c7a9740ad5309743e3361bbb275beff452f7413f32c58f50b4212ca"
    "20a32c6accb8732336b6f8a3dde2ad5240efcf04c3c13cec577c028ecbcfb1a63d089b468a651f650ac53915dc"
    "e630318ccde6e1d0f8e950ccee78520594aed5240bf61697f9e8d65067495659e228306551e64af6394a80d9c5"
    "ed2a431a42ad067a066524caee98f45419375cdbdf072e099d8f366ff4244af1aa3137f946ab5d542e184c2db7"
    "ead598c729a5d632cb4c8bfd229fec7d7a8d953181602cea1ceba65f9339ba6486bc3763fec5fabe9ac3ca076d"
    "193b141846b3e265ea48c5e9da59a0494304ea68f584a882396dc876de0839";

TEST(RsaOaep, DecryptsOpensslCiphertexts) {
  Key key = test::rsaKey(test::kRfc7515A2, true);
  auto sha1 = rsaOaepDecrypt(key, DigestAlgorithm::kSha1, unhex(kOaepSha1Ciphertext));
  ASSERT_TRUE(sha1) << sha1.error().toString();
  EXPECT_EQ(plain(*sha1), toBytes(kOaepPlaintext));
  auto sha256 = rsaOaepDecrypt(key, DigestAlgorithm::kSha256, unhex(kOaepSha256Ciphertext));
  ASSERT_TRUE(sha256) << sha256.error().toString();
  EXPECT_EQ(plain(*sha256), toBytes(kOaepPlaintext));
}

TEST(RsaOaep, RejectsWrongHashTamperingAndLength) {
  Key key = test::rsaKey(test::kRfc7515A2, true);
  constexpr std::string_view kMessage = "RSA-OAEP: ciphertext does not decrypt";
  expectError(rsaOaepDecrypt(key, DigestAlgorithm::kSha256, unhex(kOaepSha1Ciphertext)),
              Code::kUnauthenticated, kMessage);
  Bytes tampered = unhex(kOaepSha256Ciphertext);
  tampered[0] ^= 0x01;
  expectError(rsaOaepDecrypt(key, DigestAlgorithm::kSha256, tampered), Code::kUnauthenticated,
              kMessage);
  tampered.pop_back();
  expectError(rsaOaepDecrypt(key, DigestAlgorithm::kSha256, tampered), Code::kUnauthenticated,
              kMessage);
}

TEST(RsaOaep, RoundTripsWithBothHashes) {
  Key key = generated(KeyType::kRsa);
  for (DigestAlgorithm hash : {DigestAlgorithm::kSha1, DigestAlgorithm::kSha256}) {
    Bytes message = toBytes("image key");
    auto first = rsaOaepEncrypt(key.publicKey(), hash, message);
    auto second = rsaOaepEncrypt(key.publicKey(), hash, message);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->size(), 256u);
    EXPECT_NE(*first, *second);  // randomized padding
    auto opened = rsaOaepDecrypt(key, hash, *first);
    ASSERT_TRUE(opened);
    EXPECT_EQ(plain(*opened), message);
  }
}

TEST(RsaOaep, EnforcesPlaintextLimit) {
  Key key = test::rsaKey(test::kRfc7515A2, false);
  // RFC 8017 §7.1.1: k - 2hLen - 2 = 256 - 64 - 2 for SHA-256, 256 - 40 - 2 for SHA-1.
  EXPECT_TRUE(rsaOaepEncrypt(key, DigestAlgorithm::kSha256, Bytes(190)));
  expectError(rsaOaepEncrypt(key, DigestAlgorithm::kSha256, Bytes(191)), Code::kInvalidArgument,
              "plaintext of 191 bytes is too long for a 2048-bit key with sha256 (max 190)");
  EXPECT_TRUE(rsaOaepEncrypt(key, DigestAlgorithm::kSha1, Bytes(214)));
  expectError(rsaOaepEncrypt(key, DigestAlgorithm::kSha1, Bytes(215)), Code::kInvalidArgument,
              "(max 214)");
}

TEST(RsaOaep, RejectsWrongKeys) {
  expectError(rsaOaepDecrypt(test::rsaKey(test::kRfc7515A2, false), DigestAlgorithm::kSha1,
                             unhex(kOaepSha1Ciphertext)),
              Code::kFailedPrecondition, "RSA-OAEP: decryption needs a private key");
  Key ec = generated(KeyType::kEcP256);
  expectError(rsaOaepEncrypt(ec, DigestAlgorithm::kSha256, Bytes(1)), Code::kInvalidArgument,
              "RSA-OAEP: key must be RSA, found P-256");
  expectError(rsaOaepDecrypt(ec, DigestAlgorithm::kSha256, Bytes(256)), Code::kInvalidArgument,
              "key must be RSA");
}

// ---- ECDH -------------------------------------------------------------------------------

// RFC 7748 §6.1: Alice's and Bob's X25519 keys and their shared secret.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kX25519Shared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

Key x25519(std::string_view public_hex, std::string_view private_hex = {}) {
  Bytes d = unhex(private_hex);
  auto key = Key::fromOkp(KeyType::kX25519, unhex(public_hex),
                          private_hex.empty() ? std::nullopt : std::optional<ByteSpan>(d));
  EXPECT_TRUE(key) << key.error().toString();
  return *key;
}

TEST(Ecdh, MatchesRfc7748X25519Exchange) {
  auto ab = ecdh(x25519(kAlicePublic, kAlicePrivate), x25519(kBobPublic));
  auto ba = ecdh(x25519(kBobPublic, kBobPrivate), x25519(kAlicePublic));
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(plain(*ab), unhex(kX25519Shared));
  EXPECT_EQ(plain(*ba), unhex(kX25519Shared));
}

// RFC 7518 Appendix C: Alice's ephemeral P-256 key and Bob's key agree on Z.
TEST(Ecdh, MatchesRfc7518AppendixCP256) {
  const test::EcJwkVector alice{KeyType::kEcP256,
                                "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
                                "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
                                "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo",
                                "",
                                ""};
  const test::EcJwkVector bob{KeyType::kEcP256,
                              "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
                              "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
                              "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw",
                              "",
                              ""};
  auto z = ecdh(test::ecKey(alice, true), test::ecKey(bob, false));
  ASSERT_TRUE(z) << z.error().toString();
  EXPECT_EQ(plain(*z), unhex("9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4"));
  auto back = ecdh(test::ecKey(bob, true), test::ecKey(alice, false));
  ASSERT_TRUE(back);
  EXPECT_EQ(plain(*back), plain(*z));
}

TEST(Ecdh, AgreesOnEveryCurve) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kX25519}) {
    Key a = generated(type);
    Key b = generated(type);
    auto ab = ecdh(a, b.publicKey());
    auto ba = ecdh(b, a.publicKey());
    ASSERT_TRUE(ab && ba) << keyTypeName(type);
    EXPECT_EQ(ab->size(), keyFieldSize(type));
    EXPECT_EQ(plain(*ab), plain(*ba));
  }
}

TEST(Ecdh, RejectsMismatchedAndUnsuitableKeys) {
  Key p256 = generated(KeyType::kEcP256);
  Key p384 = generated(KeyType::kEcP384);
  expectError(ecdh(p256, p384), Code::kInvalidArgument,
              "ECDH: peer key is P-384, own key is P-256");
  Key ed = generated(KeyType::kEd25519);
  expectError(ecdh(ed, ed), Code::kInvalidArgument, "ECDH: Ed25519 keys cannot do key agreement");
  expectError(ecdh(test::rsaKey(test::kRfc7515A2, true), p256), Code::kInvalidArgument,
              "RSA keys cannot do key agreement");
  expectError(ecdh(p256.publicKey(), p256), Code::kFailedPrecondition,
              "ECDH: own key is public only");
}

TEST(Ecdh, RejectsLowOrderX25519Points) {
  Key own = x25519(kAlicePublic, kAlicePrivate);
  // u = 0 and u = 1 are points of order 1 and 4 (RFC 7748 §6.1 / Bernstein's list).
  for (std::string_view low :
       {"0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000"}) {
    expectError(ecdh(own, x25519(low)), Code::kInvalidArgument,
                "ECDH: X25519 result is all zero (low-order peer key)");
  }
}

// ---- Concat KDF -------------------------------------------------------------------------

// RFC 7518 Appendix C: Z, OtherInfo = AlgorithmID "A128GCM" || PartyUInfo "Alice" ||
// PartyVInfo "Bob" || SuppPubInfo 128, each length-prefixed, and the derived 128-bit key.
TEST(ConcatKdf, MatchesRfc7518AppendixC) {
  Bytes z = unhex("9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4");
  Bytes other_info = unhex(
      "00000007"
      "4131323847434d"
      "00000005"
      "416c696365"
      "00000003"
      "426f62"
      "00000080");
  SecretBytes key = concatKdfSha256(z, other_info, 16);
  EXPECT_EQ(plain(key), unb64u("VqqN6vgjbSBcIijNcacQGg"));
}

TEST(ConcatKdf, LongerOutputExtendsTheFirstBlock) {
  Bytes z(32, 0x5a);
  SecretBytes one = concatKdfSha256(z, {}, 32);
  SecretBytes three = concatKdfSha256(z, {}, 70);
  ASSERT_EQ(three.size(), 70u);
  EXPECT_EQ(Bytes(three.span().begin(), three.span().begin() + 32), plain(one));
  EXPECT_TRUE(concatKdfSha256(z, {}, 0).empty());
}

}  // namespace
}  // namespace cocoon::crypto
