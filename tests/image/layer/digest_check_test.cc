// SPDX-License-Identifier: Apache-2.0
#include "image/layer/digest_check.h"

#include <gtest/gtest.h>

#include "image/layer/span_source.h"
#include "image/layer/test_sources.h"
#include "support/expect.h"

namespace cocoon::image::layer {
namespace {

using cocoon::test::expectError;
using test::readAll;

// FIPS 180-2 Appendix B.1 / C.1: SHA-256 and SHA-512 of "abc".
constexpr std::string_view kAbcSha256 =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kAbcSha512 =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
// FIPS 180-2 Appendix B.2: SHA-256 of "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".
constexpr std::string_view kOtherSha256 =
    "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

oci::Digest digestOf(std::string_view text) {
  auto digest = oci::parseDigest(text);
  EXPECT_TRUE(digest) << digest.error().toString();
  return digest ? *digest : oci::Digest{};
}

TEST(DigestCheckSource, PassesMatchingStreamInSmallReads) {
  SpanSource in(asBytes("abc"), 1);
  DigestCheckSource check(in, digestOf(kAbcSha256), "layer 0 blob", 3);
  cocoon::test::expectValue(readAll(check, 2), toBytes("abc"));
  EXPECT_EQ(check.bytesRead(), 3u);
  // Reading again after the verified end stays at the end.
  std::array<std::uint8_t, 4> buffer{};
  cocoon::test::expectValue(check.read(buffer), std::size_t{0});
}

TEST(DigestCheckSource, PassesSha512WithoutExpectedSize) {
  SpanSource in(asBytes("abc"));
  DigestCheckSource check(in, digestOf(kAbcSha512), "layer 0 diff_id");
  cocoon::test::expectValue(readAll(check), toBytes("abc"));
}

TEST(DigestCheckSource, RejectsDigestMismatchAtTheEnd) {
  SpanSource in(asBytes("abc"));
  DigestCheckSource check(in, digestOf(kOtherSha256), "layer 1 blob", 3);
  std::array<std::uint8_t, 8> buffer{};
  cocoon::test::expectValue(check.read(buffer), std::size_t{3});
  expectError(
      check.read(buffer), Code::kDataLoss,
      fmt::format("layer 1 blob: digest mismatch: expected {}, got {}", kOtherSha256, kAbcSha256));
}

TEST(DigestCheckSource, RejectsOverrunAsSoonAsItArrives) {
  const Bytes data = toBytes("abcdefghij");
  SpanSource span(data);
  test::CountingSource in(span);
  DigestCheckSource check(in, digestOf(kAbcSha256), "layer 0 blob", 3);
  std::array<std::uint8_t, 8> buffer{};
  expectError(check.read(buffer), Code::kDataLoss,
              "layer 0 blob: stream is longer than its expected size of 3 bytes");
  EXPECT_EQ(in.count(), 4u);  // one byte past the size, not the rest of the stream
}

TEST(DigestCheckSource, RejectsUnderrunAtTheEnd) {
  SpanSource in(asBytes("abc"));
  DigestCheckSource check(in, digestOf(kAbcSha256), "layer 0 blob", 4);
  expectError(readAll(check), Code::kDataLoss,
              "layer 0 blob: stream ended after 3 bytes, expected 4 bytes");
}

TEST(DigestCheckSource, PassesErrorsOfItsInputThrough) {
  test::FailingSource in(Error(Code::kUnavailable, "connection reset"));
  DigestCheckSource check(in, digestOf(kAbcSha256), "layer 0 blob", 3);
  expectError(readAll(check), Code::kUnavailable, "connection reset");
}

}  // namespace
}  // namespace cocoon::image::layer
