// SPDX-License-Identifier: Apache-2.0
// HMAC-SHA-2 known answers (RFC 4231 §4, all seven test cases) and streaming.
#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"

namespace cocoon::crypto {
namespace {

struct Rfc4231Case {
  const char* name;
  Bytes key;
  std::string data;
  // The expected MACs; test case 5 gives only their first 128 bits.
  std::string_view sha256, sha384, sha512;
};

Bytes repeated(std::uint8_t byte, std::size_t n) {
  return Bytes(n, byte);
}

Bytes oneToTwentyFive() {
  Bytes key(25);
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(i + 1);
  }
  return key;
}

// RFC 4231 §4.2-§4.8.
std::vector<Rfc4231Case> rfc4231Cases() {
  return {
      {"4.2 test case 1", repeated(0x0b, 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2"
       "fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eae"
       "a3f4e4be9d914eeb61f1702e696c203a126854"},
      {"4.3 test case 2 (key shorter than the output)", toBytes("Jefe"),
       "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfa"
       "b21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8"
       "f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {"4.4 test case 3", repeated(0xaa, 20), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101"
       "a34f27",
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e"
       "67c807b946a337bee8942674278859e13292fb"},
      {"4.5 test case 4", oneToTwentyFive(), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
       "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c6"
       "74cffb",
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5"
       "788063a5f19741120c4f2de2adebeb10a298dd"},
      {"4.6 test case 5 (truncated to 128 bits)", repeated(0x0c, 20), "Test With Truncation",
       "a3b6167473100ee06e0c796c2955552b", "3abf34c3503b2a23a46efc619baef897",
       "415fad6271580a531d4179bc891d87a6"},
      {"4.7 test case 6 (key longer than the block)", repeated(0xaa, 131),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163"
       "f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d"
       "6a1e5295e64f73f63f0aec8b915a985d786598"},
      {"4.8 test case 7 (key and data longer than the block)", repeated(0xaa, 131),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
       "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c"
       "46523e",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3"
       "e4de15134676fb6de0446065c97440fa8c6a58"},
  };
}

// Compares the MAC with the expected hex, or with its prefix when the vector is truncated.
void expectMac(DigestAlgorithm alg, const Rfc4231Case& c, std::string_view expected) {
  std::string mac = hexEncode(hmac(alg, c.key, asBytes(c.data)));
  ASSERT_EQ(mac.size(), 2 * digestSize(alg)) << c.name;
  EXPECT_EQ(mac.substr(0, expected.size()), expected) << c.name << " " << digestName(alg);
}

TEST(Hmac, MatchesRfc4231) {
  for (const auto& c : rfc4231Cases()) {
    expectMac(DigestAlgorithm::kSha256, c, c.sha256);
    expectMac(DigestAlgorithm::kSha384, c, c.sha384);
    expectMac(DigestAlgorithm::kSha512, c, c.sha512);
  }
}

TEST(Hmac, StreamingInPiecesEqualsOneShot) {
  for (const auto& c : rfc4231Cases()) {
    for (auto alg :
         {DigestAlgorithm::kSha256, DigestAlgorithm::kSha384, DigestAlgorithm::kSha512}) {
      Hmac mac(alg, c.key);
      ByteSpan data = asBytes(c.data);
      for (std::size_t offset = 0, piece = 1; offset < data.size(); piece += 2) {
        std::size_t n = std::min(piece, data.size() - offset);
        mac.update(data.subspan(offset, n));
        offset += n;
      }
      EXPECT_EQ(mac.finish(), hmac(alg, c.key, data)) << c.name;
    }
  }
}

TEST(Hmac, AcceptsEmptyKeyAndData) {
  // HMAC-SHA256 with an empty key and message; checked against `openssl mac -digest SHA256
  // -macopt hexkey: HMAC </dev/null`.
  EXPECT_EQ(hexEncode(hmac(DigestAlgorithm::kSha256, {}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hmac, WorksAfterMove) {
  const auto c = rfc4231Cases()[1];
  Hmac first(DigestAlgorithm::kSha256, c.key);
  first.update(asBytes(c.data).first(4));
  Hmac second = std::move(first);
  second.update(asBytes(c.data).subspan(4));
  EXPECT_EQ(hexEncode(second.finish()), c.sha256);
}

TEST(HmacDeathTest, RejectsSha1) {
  EXPECT_DEATH((void)hmac(DigestAlgorithm::kSha1, asBytes("k"), asBytes("d")),
               "HMAC needs a SHA-2 digest");
}

}  // namespace
}  // namespace cocoon::crypto
