// SPDX-License-Identifier: Apache-2.0
#include "image/oci/digest.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

// SHA-256("") and SHA-512("abc"): FIPS 180-2 appendix C.1 / the NIST CSRC examples.
constexpr std::string_view kSha256Empty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSha512Abc =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

TEST(Digest, ParsesSha256AndSha512) {
  auto d = parseDigest(kSha256Empty);
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->algorithm, crypto::DigestAlgorithm::kSha256);
  EXPECT_EQ(d->toString(), kSha256Empty);
  d = parseDigest(kSha512Abc);
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->algorithm, crypto::DigestAlgorithm::kSha512);
  EXPECT_EQ(d->encoded.size(), 128U);
}

TEST(Digest, ComputesKnownAnswers) {
  EXPECT_EQ(computeDigest({}).toString(), kSha256Empty);
  EXPECT_EQ(computeDigest(asBytes("abc"), crypto::DigestAlgorithm::kSha512).toString(), kSha512Abc);
  crypto::Hasher h = hasherFor(*parseDigest(kSha512Abc));
  h.update(asBytes("ab"));
  h.update(asBytes("c"));
  EXPECT_EQ(digestFromHash(h.algorithm(), h.finish()).toString(), kSha512Abc);
}

TEST(Digest, VerifiesContent) {
  const Digest empty = *parseDigest(kSha256Empty);
  EXPECT_TRUE(verifyDigest(empty, {}, "blob"));
  expectError(verifyDigest(empty, asBytes("x"), "layer 2"), Code::kDataLoss,
              "layer 2: digest mismatch: expected " + std::string(kSha256Empty) +
                  ", got sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
}

TEST(Digest, RejectsUnsupportedAlgorithms) {
  expectError(parseDigest("sha384:" + std::string(96, 'a')), Code::kUnimplemented,
              "\"sha384\" is not supported");
  expectError(parseDigest("blake3:" + std::string(64, 'a')), Code::kUnimplemented, "blake3");
  expectError(parseDigest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
              Code::kUnimplemented, "multihash+base58");
}

TEST(Digest, RejectsMalformedDigests) {
  const std::string hex64(64, 'a');
  struct Bad {
    std::string text;
    const char* message;
  };
  const Bad cases[] = {
      {"", "no ':'"},
      {hex64, "no ':'"},
      {":" + hex64, "algorithm is malformed"},
      {"SHA256:" + hex64, "algorithm is malformed"},
      {"sha256+:" + hex64, "algorithm is malformed"},
      {"sha 256:" + hex64, "algorithm is malformed"},
      {"sha256:", "has 0 hex digits, expected 64"},
      {"sha256:" + std::string(63, 'a'), "has 63 hex digits, expected 64"},
      {"sha256:" + std::string(65, 'a'), "has 65 hex digits, expected 64"},
      {"sha512:" + hex64, "has 64 hex digits, expected 128"},
      {"sha256:" + std::string(63, 'a') + "A", "lower-case hex at offset 70"},
      {"sha256:g" + std::string(63, 'a'), "lower-case hex at offset 7"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.text);
    expectError(parseDigest(bad.text), Code::kInvalidArgument, bad.message);
  }
}

}  // namespace
}  // namespace cocoon::image::oci
