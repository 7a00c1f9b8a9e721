// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/content_encryption.h"

#include <gtest/gtest.h>

#include "crypto/hmac.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using testing::failsWith;
using testing::hex;

// RFC 7518 Appendix B: the AES_CBC_HMAC_SHA2 test cases share P, IV and A.
constexpr std::string_view kPlaintext =
    "A cipher system must not be required to be secret, and it must be able to fall into the "
    "hands of the enemy without inconvenience";
constexpr std::string_view kAad = "The second principle of Auguste Kerckhoffs";
const Bytes kIv = hex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04");

Bytes sequentialKey(std::size_t size) {
  Bytes key(size);
  for (std::size_t i = 0; i < size; ++i) {
    key[i] = static_cast<std::uint8_t>(i);
  }
  return key;
}

struct AppendixB {
  ContentEncryption enc;
  std::size_t key_size;
  const char* ciphertext;
  const char* tag;
};

const AppendixB kAppendixB[] = {
    {ContentEncryption::kA128CbcHs256, 32,  // RFC 7518 B.1
     "c8 0e df a3 2d df 39 d5 ef 00 c0 b4 68 83 42 79 a2 e4 6a 1b 80 49 f7 92 f7 6b fe 54 b9 03 "
     "a9 c9 a9 4a c9 b4 7a d2 65 5c 5f 10 f9 ae f7 14 27 e2 fc 6f 9b 3f 39 9a 22 14 89 f1 63 62 "
     "c7 03 23 36 09 d4 5a c6 98 64 e3 32 1c f8 29 35 ac 40 96 c8 6e 13 33 14 c5 40 19 e8 ca 79 "
     "80 df a4 b9 cf 1b 38 4c 48 6f 3a 54 c5 10 78 15 8e e5 d7 9d e5 9f bd 34 d8 48 b3 d6 95 50 "
     "a6 76 46 34 44 27 ad e5 4b 88 51 ff b5 98 f7 f8 00 74 b9 47 3c 82 e2 db",
     "65 2c 3f a3 6b 0a 7c 5b 32 19 fa b3 a3 0b c1 c4"},
    {ContentEncryption::kA192CbcHs384, 48,  // RFC 7518 B.2
     "ea 65 da 6b 59 e6 1e db 41 9b e6 2d 19 71 2a e5 d3 03 ee b5 00 52 d0 df d6 69 7f 77 22 4c "
     "8e db 00 0d 27 9b dc 14 c1 07 26 54 bd 30 94 42 30 c6 57 be d4 ca 0c 9f 4a 84 66 f2 2b 22 "
     "6d 17 46 21 4b f8 cf c2 40 0a dd 9f 51 26 e4 79 66 3f c9 0b 3b ed 78 7a 2f 0f fc bf 39 04 "
     "be 2a 64 1d 5c 21 05 bf e5 91 ba e2 3b 1d 74 49 e5 32 ee f6 0a 9a c8 bb 6c 6b 01 d3 5d 49 "
     "78 7b cd 57 ef 48 49 27 f2 80 ad c9 1a c0 c4 e7 9c 7b 11 ef c6 00 54 e3",
     "84 90 ac 0e 58 94 9b fe 51 87 5d 73 3f 93 ac 20 75 16 80 39 cc c7 33 d7"},
    {ContentEncryption::kA256CbcHs512, 64,  // RFC 7518 B.3
     "4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd 3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc "
     "c7 bd 82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 "
     "94 10 44 6b 36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb "
     "ad 28 c7 3f 09 b3 a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 "
     "d2 1f 37 ff 4f 51 95 0b be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6",
     "4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 "
     "5b c5"},
};

TEST(ContentEncryption, Rfc7518AppendixBExactCiphertextAndTag) {
  for (const AppendixB& v : kAppendixB) {
    const Bytes key = sequentialKey(v.key_size);
    auto sealed = encryptContent(v.enc, key, kIv, asBytes(kAad), asBytes(kPlaintext));
    ASSERT_TRUE(sealed) << sealed.error().message;
    EXPECT_EQ(sealed->ciphertext, hex(v.ciphertext)) << contentEncryptionName(v.enc);
    EXPECT_EQ(sealed->tag, hex(v.tag)) << contentEncryptionName(v.enc);
    auto opened = decryptContent(v.enc, key, kIv, asBytes(kAad), hex(v.ciphertext), hex(v.tag));
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(testing::plain(*opened), kPlaintext);
  }
}

TEST(ContentEncryption, RoundTripsEveryEncryption) {
  for (ContentEncryption enc : allContentEncryptions()) {
    const Bytes key = sequentialKey(contentKeySize(enc));
    const Bytes iv(contentIvSize(enc), 0x42);
    for (std::string_view text : {std::string_view(""), std::string_view("x"), kPlaintext}) {
      auto sealed = encryptContent(enc, key, iv, asBytes(kAad), asBytes(text));
      ASSERT_TRUE(sealed);
      EXPECT_EQ(sealed->tag.size(), contentTagSize(enc));
      auto opened = decryptContent(enc, key, iv, asBytes(kAad), sealed->ciphertext, sealed->tag);
      ASSERT_TRUE(opened) << contentEncryptionName(enc);
      EXPECT_EQ(testing::plain(*opened), text);
    }
  }
}

TEST(ContentEncryption, AnyFlippedBitFailsWithOneReason) {
  for (ContentEncryption enc : allContentEncryptions()) {
    const Bytes key = sequentialKey(contentKeySize(enc));
    const Bytes iv(contentIvSize(enc), 7);
    auto sealed = *encryptContent(enc, key, iv, asBytes(kAad), asBytes(kPlaintext));
    Bytes tag = sealed.tag;
    tag[0] ^= 1;
    auto bad_tag = decryptContent(enc, key, iv, asBytes(kAad), sealed.ciphertext, tag);
    EXPECT_TRUE(failsWith(bad_tag, JoseReason::kDecryptionFailed));
    Bytes ciphertext = sealed.ciphertext;
    ciphertext.back() ^= 0x80;
    EXPECT_TRUE(failsWith(decryptContent(enc, key, iv, asBytes(kAad), ciphertext, sealed.tag),
                          JoseReason::kDecryptionFailed));
    EXPECT_TRUE(
        failsWith(decryptContent(enc, key, iv, asBytes("other"), sealed.ciphertext, sealed.tag),
                  JoseReason::kDecryptionFailed));
    Bytes other_iv = iv;
    other_iv[0] ^= 1;
    EXPECT_TRUE(
        failsWith(decryptContent(enc, key, other_iv, asBytes(kAad), sealed.ciphertext, sealed.tag),
                  JoseReason::kDecryptionFailed));
  }
}

TEST(ContentEncryption, BadPaddingUnderAValidTagLooksLikeABadTag) {
  // A ciphertext whose MAC is right but whose last block does not unpad: the error must
  // not differ from a tag mismatch (no padding oracle).
  const ContentEncryption enc = ContentEncryption::kA128CbcHs256;
  const Bytes key = sequentialKey(32);
  const Bytes ciphertext(32, 0x5a);
  Bytes mac_input(kAad.begin(), kAad.end());
  mac_input.insert(mac_input.end(), kIv.begin(), kIv.end());
  mac_input.insert(mac_input.end(), ciphertext.begin(), ciphertext.end());
  const Bytes al = hex("00 00 00 00 00 00 01 50");  // 42 bytes of AAD = 336 bits
  mac_input.insert(mac_input.end(), al.begin(), al.end());
  Bytes tag = crypto::hmac(crypto::DigestAlgorithm::kSha256, ByteSpan(key).first(16), mac_input);
  tag.resize(16);
  auto padding = decryptContent(enc, key, kIv, asBytes(kAad), ciphertext, tag);
  ASSERT_TRUE(failsWith(padding, JoseReason::kDecryptionFailed));
  tag[0] ^= 1;
  auto mac = decryptContent(enc, key, kIv, asBytes(kAad), ciphertext, tag);
  ASSERT_TRUE(failsWith(mac, JoseReason::kDecryptionFailed));
  EXPECT_EQ(padding.error().message, mac.error().message);
}

TEST(ContentEncryption, RejectsWrongSizes) {
  const Bytes key = sequentialKey(32);
  const Bytes iv12(12), iv16(16), tag16(16);
  EXPECT_TRUE(failsWith(decryptContent(ContentEncryption::kA256Gcm, key, iv16, {}, {}, tag16),
                        JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(decryptContent(ContentEncryption::kA256Gcm, key, iv12, {}, {}, iv12),
                        JoseReason::kMalformed));
  EXPECT_TRUE(failsWith(decryptContent(ContentEncryption::kA128Gcm, key, iv12, {}, {}, tag16),
                        JoseReason::kInvalidArgument));
  EXPECT_TRUE(failsWith(encryptContent(ContentEncryption::kA128CbcHs256, key, iv12, {}, {}),
                        JoseReason::kInvalidArgument));
}

}  // namespace
}  // namespace cocoon::jose
