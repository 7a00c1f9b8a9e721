// SPDX-License-Identifier: Apache-2.0
// Digest known answers (FIPS 180-4 examples), streaming and name parsing.
#include "crypto/digest.h"

#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"

namespace cocoon::crypto {
namespace {

// NIST "Cryptographic Standards and Guidelines: Examples with Intermediate Values"
// for FIPS 180-4 (SHA1.pdf, SHA256.pdf, SHA384.pdf, SHA512.pdf).
constexpr std::string_view kAbc = "abc";
constexpr std::string_view kMsg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view kMsg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
    "klmnopqrlmnopqrsmnopqrstnopqrstu";

struct Vector {
  DigestAlgorithm alg;
  std::string_view message;
  std::string_view hex;
};
const Vector kVectors[] = {
    {DigestAlgorithm::kSha1, kAbc, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {DigestAlgorithm::kSha1, kMsg448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {DigestAlgorithm::kSha256, kAbc,
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {DigestAlgorithm::kSha256, kMsg448,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {DigestAlgorithm::kSha256, "",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {DigestAlgorithm::kSha384, kAbc,
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134"
     "c825a7"},
    {DigestAlgorithm::kSha384, kMsg896,
     "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91"
     "746039"},
    {DigestAlgorithm::kSha512, kAbc,
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3"
     "feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {DigestAlgorithm::kSha512, kMsg896,
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4"
     "b5433ac7d329eeb6dd26545e96e55b874be909"},
};

TEST(Digest, MatchesFips180Examples) {
  for (const auto& v : kVectors) {
    Bytes out = digest(v.alg, asBytes(v.message));
    EXPECT_EQ(out.size(), digestSize(v.alg)) << digestName(v.alg);
    EXPECT_EQ(hexEncode(out), v.hex) << digestName(v.alg) << " of '" << v.message << "'";
  }
}

TEST(Digest, ShortcutsMatchDigest) {
  EXPECT_EQ(sha256(asBytes(kAbc)), digest(DigestAlgorithm::kSha256, asBytes(kAbc)));
  EXPECT_EQ(sha384(asBytes(kAbc)), digest(DigestAlgorithm::kSha384, asBytes(kAbc)));
  EXPECT_EQ(sha512(asBytes(kAbc)), digest(DigestAlgorithm::kSha512, asBytes(kAbc)));
}

// FIPS 180-4 examples: one million repetitions of 'a'.
TEST(Digest, MillionAs) {
  const std::string million(1'000'000, 'a');
  EXPECT_EQ(hexEncode(sha256(asBytes(million))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hexEncode(digest(DigestAlgorithm::kSha1, asBytes(million))),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Hasher, OddSizedPiecesEqualOneShot) {
  Bytes data(100'003);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  }
  for (const auto& v : kVectors) {
    Hasher hasher(v.alg);
    EXPECT_EQ(hasher.algorithm(), v.alg);
    std::size_t offset = 0;
    for (std::size_t piece = 1; offset < data.size(); piece = piece * 3 % 1021 + 1) {
      std::size_t n = std::min(piece, data.size() - offset);
      hasher.update(ByteSpan(data).subspan(offset, n));
      offset += n;
    }
    EXPECT_EQ(hasher.finish(), digest(v.alg, data)) << digestName(v.alg);
  }
}

TEST(Hasher, FinishStartsOver) {
  Hasher hasher(DigestAlgorithm::kSha256);
  hasher.update(asBytes("something else"));
  (void)hasher.finish();
  hasher.update(asBytes("a"));
  hasher.update(asBytes("bc"));
  EXPECT_EQ(hexEncode(hasher.finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hexEncode(hasher.finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hasher, WorksAfterMove) {
  Hasher first(DigestAlgorithm::kSha384);
  first.update(asBytes("ab"));
  Hasher second = std::move(first);
  second.update(asBytes("c"));
  EXPECT_EQ(second.finish(), sha384(asBytes(kAbc)));
}

TEST(DigestName, RoundTripsAndRejectsUnknown) {
  for (auto alg : {DigestAlgorithm::kSha1, DigestAlgorithm::kSha256, DigestAlgorithm::kSha384,
                   DigestAlgorithm::kSha512}) {
    EXPECT_EQ(*parseDigestName(digestName(alg)), alg);
  }
  EXPECT_EQ(digestSize(DigestAlgorithm::kSha1), 20u);
  EXPECT_EQ(digestSize(DigestAlgorithm::kSha512), 64u);
  for (std::string_view bad : {"SHA256", "sha-256", "md5", "", "sha256 ", "sha512/256"}) {
    auto r = parseDigestName(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
  EXPECT_EQ(parseDigestName("md5").error().message,
            "digest algorithm: expected sha1, sha256, sha384 or sha512, found 'md5'");
}

}  // namespace
}  // namespace cocoon::crypto
