// SPDX-License-Identifier: Apache-2.0
// AES-GCM, AES-CBC, AES-CTR and AES key wrap: published known answers and exact failures.
#include "crypto/cipher.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace cocoon::crypto {
namespace {

Bytes unhex(std::string_view hex) {
  auto bytes = hexDecode(hex);
  EXPECT_TRUE(bytes) << hex;
  return bytes ? *bytes : Bytes{};
}

template <class T>
void expectError(const Result<T>& r, Code code, std::string_view message) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, code) << r.error().toString();
  EXPECT_EQ(r.error().message, message);
}

// ---- AES-GCM ----------------------------------------------------------------------------

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", revised 2005, Appendix B,
// test cases 13-16 (AES-256); the same vectors appear in NIST's GCM validation set.
struct GcmCase {
  const char* name;
  std::string_view key, iv, aad, plaintext, ciphertext, tag;
};
constexpr std::string_view kGcmKey15 =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kGcmIv15 = "cafebabefacedbaddecaf888";
constexpr std::string_view kGcmAad16 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const GcmCase kGcmCases[] = {
    {"test case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"test case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"test case 15", kGcmKey15, kGcmIv15, "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449"
     "a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
     "828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"test case 16", kGcmKey15, kGcmIv15, kGcmAad16,
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449"
     "a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
     "828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcm, MatchesGcmSpecTestCases13To16) {
  for (const auto& c : kGcmCases) {
    auto sealed = aesGcmEncrypt(unhex(c.key), unhex(c.iv), unhex(c.aad), unhex(c.plaintext));
    ASSERT_TRUE(sealed) << c.name << ": " << sealed.error().toString();
    EXPECT_EQ(hexEncode(sealed->ciphertext), c.ciphertext) << c.name;
    EXPECT_EQ(hexEncode(sealed->tag), c.tag) << c.name;
    auto opened =
        aesGcmDecrypt(unhex(c.key), unhex(c.iv), unhex(c.aad), unhex(c.ciphertext), unhex(c.tag));
    ASSERT_TRUE(opened) << c.name << ": " << opened.error().toString();
    EXPECT_EQ(hexEncode(*opened), c.plaintext) << c.name;
  }
}

class AesGcmTampering : public ::testing::Test {
 protected:
  const GcmCase& c = kGcmCases[3];
  Bytes key = unhex(c.key), iv = unhex(c.iv), aad = unhex(c.aad);
  Bytes ciphertext = unhex(c.ciphertext), tag = unhex(c.tag);

  Result<Bytes> open() { return aesGcmDecrypt(key, iv, aad, ciphertext, tag); }
};

constexpr std::string_view kTagMismatch = "AES-GCM: authentication tag does not match";

TEST_F(AesGcmTampering, AcceptsTheUntouchedVector) {
  EXPECT_TRUE(open());
}

TEST_F(AesGcmTampering, RejectsWrongTag) {
  tag[15] ^= 0x01;
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
}

TEST_F(AesGcmTampering, RejectsWrongAad) {
  aad[0] ^= 0x80;
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
  aad.pop_back();
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
  aad.clear();
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
}

TEST_F(AesGcmTampering, RejectsAnyFlippedCiphertextBit) {
  for (std::size_t bit = 0; bit < ciphertext.size() * 8; bit += 13) {
    ciphertext[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    expectError(open(), Code::kUnauthenticated, kTagMismatch);
    ciphertext[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
  ciphertext.pop_back();
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
}

TEST_F(AesGcmTampering, RejectsWrongKeyOrIv) {
  key[31] ^= 0x01;
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
  key[31] ^= 0x01;
  iv[0] ^= 0x01;
  expectError(open(), Code::kUnauthenticated, kTagMismatch);
}

TEST(AesGcm, RejectsIvsOtherThan96Bits) {
  const Bytes key(32, 0);
  // Test cases 17 and 18 of the GCM spec use a 64-bit and a 480-bit IV; we refuse both.
  for (std::size_t size : {0u, 8u, 11u, 13u, 16u, 60u}) {
    const Bytes iv(size, 0xca);
    expectError(aesGcmEncrypt(key, iv, {}, asBytes("x")), Code::kInvalidArgument,
                fmt::format("AES-GCM: IV must be 12 bytes, found {}", size));
    expectError(aesGcmDecrypt(key, iv, {}, asBytes("x"), Bytes(16)), Code::kInvalidArgument,
                fmt::format("AES-GCM: IV must be 12 bytes, found {}", size));
  }
}

TEST(AesGcm, RejectsWrongKeySize) {
  const Bytes iv(12, 0);
  for (std::size_t size : {0u, 15u, 17u, 31u, 33u, 64u}) {
    const Bytes key(size, 0);
    expectError(aesGcmEncrypt(key, iv, {}, {}), Code::kInvalidArgument,
                fmt::format("AES-GCM: key must be 16, 24 or 32 bytes, found {}", size));
    expectError(aesGcmDecrypt(key, iv, {}, {}, Bytes(16)), Code::kInvalidArgument,
                fmt::format("AES-GCM: key must be 16, 24 or 32 bytes, found {}", size));
  }
}

TEST(AesGcm, RejectsTruncatedOrLongTag) {
  const Bytes key(16, 1), iv(12, 2);
  auto sealed = aesGcmEncrypt(key, iv, {}, asBytes("hello"));
  ASSERT_TRUE(sealed);
  const ByteSpan tag = sealed->tag;
  expectError(aesGcmDecrypt(key, iv, {}, sealed->ciphertext, tag.first(12)), Code::kInvalidArgument,
              "AES-GCM: tag must be 16 bytes, found 12");
  Bytes long_tag(tag.begin(), tag.end());
  long_tag.push_back(0);
  expectError(aesGcmDecrypt(key, iv, {}, sealed->ciphertext, long_tag), Code::kInvalidArgument,
              "AES-GCM: tag must be 16 bytes, found 17");
}

TEST(AesGcm, RoundTripsEveryKeySizeAndLength) {
  for (std::size_t key_size : {16u, 24u, 32u}) {
    const Bytes key(key_size, 0x42), iv(12, 0x24);
    for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 1000u}) {
      const Bytes plaintext(len, 0x5a), aad(len % 7, 0x11);
      auto sealed = aesGcmEncrypt(key, iv, aad, plaintext);
      ASSERT_TRUE(sealed);
      EXPECT_EQ(sealed->ciphertext.size(), len);
      EXPECT_EQ(*aesGcmDecrypt(key, iv, aad, sealed->ciphertext, sealed->tag), plaintext);
    }
  }
}

// ---- AES-CBC ----------------------------------------------------------------------------

// NIST SP 800-38A, F.2.5 CBC-AES256.Encrypt (and F.2.6 Decrypt). The vector has no padding:
// our PKCS#7 output carries one extra block after its four.
constexpr std::string_view kSp800Key =
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
constexpr std::string_view kSp800Plaintext =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
constexpr std::string_view kCbcIv = "000102030405060708090a0b0c0d0e0f";
constexpr std::string_view kCbcCiphertext =
    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
    "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";

TEST(AesCbc, MatchesSp80038aF25) {
  auto ciphertext = aesCbcEncrypt(unhex(kSp800Key), unhex(kCbcIv), unhex(kSp800Plaintext));
  ASSERT_TRUE(ciphertext);
  ASSERT_EQ(ciphertext->size(), 80u);
  EXPECT_EQ(hexEncode(ByteSpan(*ciphertext).first(64)), kCbcCiphertext);
  EXPECT_EQ(hexEncode(*aesCbcDecrypt(unhex(kSp800Key), unhex(kCbcIv), *ciphertext)),
            kSp800Plaintext);
}

TEST(AesCbc, RejectsBadPadding) {
  // The unpadded vector ends in plaintext byte 0x10, which claims 16 bytes of padding that
  // are not there.
  expectError(aesCbcDecrypt(unhex(kSp800Key), unhex(kCbcIv), unhex(kCbcCiphertext)),
              Code::kInvalidArgument, "AES-CBC: bad PKCS#7 padding");
  // Flipping the low bit of the last block's padding byte through the previous block.
  const Bytes key(16, 7), iv(16, 9);
  Bytes ciphertext = *aesCbcEncrypt(key, iv, asBytes("twelve bytes"));
  ASSERT_EQ(ciphertext.size(), 16u);
  Bytes bad_iv = iv;
  bad_iv[15] ^= 0x01;
  expectError(aesCbcDecrypt(key, bad_iv, ciphertext), Code::kInvalidArgument,
              "AES-CBC: bad PKCS#7 padding");
}

TEST(AesCbc, RejectsLengthNotAPositiveMultipleOfTheBlock) {
  const Bytes key(32, 0), iv(16, 0);
  for (std::size_t size : {0u, 1u, 15u, 17u, 31u}) {
    expectError(aesCbcDecrypt(key, iv, Bytes(size)), Code::kInvalidArgument,
                fmt::format("AES-CBC: ciphertext length must be a positive multiple of 16, "
                            "found {}",
                            size));
  }
}

TEST(AesCbc, RejectsWrongKeyOrIvSize) {
  expectError(aesCbcEncrypt(Bytes(20), Bytes(16), {}), Code::kInvalidArgument,
              "AES-CBC: key must be 16, 24 or 32 bytes, found 20");
  expectError(aesCbcEncrypt(Bytes(16), Bytes(12), {}), Code::kInvalidArgument,
              "AES-CBC: IV must be 16 bytes, found 12");
  expectError(aesCbcDecrypt(Bytes(16), Bytes(17), Bytes(16)), Code::kInvalidArgument,
              "AES-CBC: IV must be 16 bytes, found 17");
}

TEST(AesCbc, RoundTripsEveryLength) {
  const Bytes key(24, 3), iv(16, 4);
  for (std::size_t len = 0; len <= 48; ++len) {
    const Bytes plaintext(len, static_cast<std::uint8_t>(len));
    auto ciphertext = aesCbcEncrypt(key, iv, plaintext);
    ASSERT_TRUE(ciphertext);
    EXPECT_EQ(ciphertext->size(), (len / 16 + 1) * 16);
    EXPECT_EQ(*aesCbcDecrypt(key, iv, *ciphertext), plaintext) << len;
  }
}

// ---- AES-CTR ----------------------------------------------------------------------------

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
constexpr std::string_view kCtrCounter = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr std::string_view kCtrCiphertext =
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6";

TEST(AesCtr, MatchesSp80038aF55) {
  auto ctr = AesCtr::create(unhex(kSp800Key), unhex(kCtrCounter));
  ASSERT_TRUE(ctr);
  const Bytes plaintext = unhex(kSp800Plaintext);
  Bytes out(plaintext.size());
  ctr->update(plaintext, out);
  EXPECT_EQ(hexEncode(out), kCtrCiphertext);
}

TEST(AesCtr, StreamsInOddPieces) {
  for (std::size_t piece : {1u, 3u, 7u, 15u, 17u, 33u}) {
    auto ctr = AesCtr::create(unhex(kSp800Key), unhex(kCtrCounter));
    ASSERT_TRUE(ctr);
    const Bytes plaintext = unhex(kSp800Plaintext);
    Bytes out(plaintext.size());
    for (std::size_t offset = 0; offset < plaintext.size(); offset += piece) {
      std::size_t n = std::min(piece, plaintext.size() - offset);
      ctr->update(ByteSpan(plaintext).subspan(offset, n), std::span(out).subspan(offset, n));
    }
    EXPECT_EQ(hexEncode(out), kCtrCiphertext) << "pieces of " << piece;
  }
}

TEST(AesCtr, WorksInPlaceAndDecryptsByReapplying) {
  Bytes buf = unhex(kSp800Plaintext);
  auto ctr = AesCtr::create(unhex(kSp800Key), unhex(kCtrCounter));
  ASSERT_TRUE(ctr);
  ctr->update(buf, buf);
  EXPECT_EQ(hexEncode(buf), kCtrCiphertext);
  AesCtr again = std::move(*AesCtr::create(unhex(kSp800Key), unhex(kCtrCounter)));
  again.update(buf, buf);
  EXPECT_EQ(hexEncode(buf), kSp800Plaintext);
}

TEST(AesCtr, LongStreamEqualsOneCall) {
  Bytes data(100'003);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::uint8_t>(i);
  }
  const Bytes key(16, 0xab), iv(16, 0xff);  // the counter wraps past 2^128 - 1
  Bytes whole(data.size()), pieces(data.size());
  AesCtr one = std::move(*AesCtr::create(key, iv));
  one.update(data, whole);
  AesCtr many = std::move(*AesCtr::create(key, iv));
  for (std::size_t offset = 0, piece = 1; offset < data.size(); piece = piece * 7 % 4099 + 1) {
    std::size_t n = std::min(piece, data.size() - offset);
    many.update(ByteSpan(data).subspan(offset, n), std::span(pieces).subspan(offset, n));
    offset += n;
  }
  EXPECT_EQ(whole, pieces);
}

TEST(AesCtr, RejectsWrongKeyOrIvSize) {
  expectError(AesCtr::create(Bytes(8), Bytes(16)), Code::kInvalidArgument,
              "AES-CTR: key must be 16, 24 or 32 bytes, found 8");
  expectError(AesCtr::create(Bytes(32), Bytes(12)), Code::kInvalidArgument,
              "AES-CTR: IV must be 16 bytes, found 12");
}

// ---- AES key wrap -------------------------------------------------------------------------

// RFC 3394 §4.1-§4.6.
struct WrapCase {
  const char* name;
  std::string_view kek, key, wrapped;
};
constexpr std::string_view kKek128 = "000102030405060708090A0B0C0D0E0F";
constexpr std::string_view kKek192 = "000102030405060708090A0B0C0D0E0F1011121314151617";
constexpr std::string_view kKek256 =
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
constexpr std::string_view kKeyData128 = "00112233445566778899AABBCCDDEEFF";
constexpr std::string_view kKeyData192 = "00112233445566778899AABBCCDDEEFF0001020304050607";
constexpr std::string_view kKeyData256 =
    "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F";
const WrapCase kWrapCases[] = {
    {"4.1", kKek128, kKeyData128, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
    {"4.2", kKek192, kKeyData128, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
    {"4.3", kKek256, kKeyData128, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
    {"4.4", kKek192, kKeyData192,
     "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"},
    {"4.5", kKek256, kKeyData192,
     "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
    {"4.6", kKek256, kKeyData256,
     "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
};

TEST(AesKeyWrap, MatchesRfc3394) {
  for (const auto& c : kWrapCases) {
    auto wrapped = aesKeyWrap(unhex(c.kek), unhex(c.key));
    ASSERT_TRUE(wrapped) << c.name << ": " << wrapped.error().toString();
    EXPECT_EQ(*wrapped, unhex(c.wrapped)) << c.name;
    auto key = aesKeyUnwrap(unhex(c.kek), unhex(c.wrapped));
    ASSERT_TRUE(key) << c.name << ": " << key.error().toString();
    EXPECT_EQ(Bytes(key->span().begin(), key->span().end()), unhex(c.key)) << c.name;
  }
}

TEST(AesKeyWrap, RejectsTamperedWrappedKey) {
  const auto& c = kWrapCases[5];
  for (std::size_t i = 0; i < c.wrapped.size() / 2; ++i) {
    Bytes wrapped = unhex(c.wrapped);
    wrapped[i] ^= 0x04;
    expectError(aesKeyUnwrap(unhex(c.kek), wrapped), Code::kUnauthenticated,
                "AES key unwrap: integrity check failed");
  }
  Bytes wrong_kek = unhex(c.kek);
  wrong_kek[0] ^= 0x01;
  expectError(aesKeyUnwrap(wrong_kek, unhex(c.wrapped)), Code::kUnauthenticated,
              "AES key unwrap: integrity check failed");
}

TEST(AesKeyWrap, RejectsBadSizes) {
  const Bytes kek(16, 0);
  for (std::size_t size : {0u, 8u, 15u, 20u, 33u}) {
    expectError(aesKeyWrap(kek, Bytes(size)), Code::kInvalidArgument,
                fmt::format("AES key wrap: key to wrap must be a multiple of 8 bytes, at least "
                            "16, found {}",
                            size));
  }
  for (std::size_t size : {0u, 8u, 16u, 23u, 25u}) {
    expectError(aesKeyUnwrap(kek, Bytes(size)), Code::kInvalidArgument,
                fmt::format("AES key unwrap: wrapped key must be a multiple of 8 bytes, at "
                            "least 24, found {}",
                            size));
  }
  expectError(aesKeyWrap(Bytes(20), Bytes(16)), Code::kInvalidArgument,
              "AES key wrap: KEK must be 16, 24 or 32 bytes, found 20");
  expectError(aesKeyUnwrap(Bytes(64), Bytes(24)), Code::kInvalidArgument,
              "AES key wrap: KEK must be 16, 24 or 32 bytes, found 64");
}

}  // namespace
}  // namespace cocoon::crypto
