// SPDX-License-Identifier: Apache-2.0
#include "measure/pe.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"

namespace cocoon::measure {
namespace {

// A minimal PE32+ image: DOS header, PE header, optional header with 16 data directories,
// two sections stored in reverse file order, trailing data and a certificate table.
struct PeImage {
  static constexpr std::size_t kLfanew = 0x40;
  static constexpr std::size_t kOpt = kLfanew + 24;
  static constexpr std::size_t kCheckSum = kOpt + 64;
  static constexpr std::size_t kSecurity = kOpt + 112 + 8 * 4;
  static constexpr std::size_t kHeaders = 0x200;
  Bytes bytes = Bytes(kHeaders + 0x400 + 0x30 + 0x20, 0);

  void put16(std::size_t at, std::uint16_t v) {
    bytes[at] = static_cast<std::uint8_t>(v);
    bytes[at + 1] = static_cast<std::uint8_t>(v >> 8);
  }
  void put32(std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
      bytes[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
  }
  PeImage() {
    put16(0, 0x5a4d);
    put32(0x3c, kLfanew);
    put32(kLfanew, 0x00004550);
    put16(kLfanew + 6, 2);     // NumberOfSections
    put16(kLfanew + 20, 240);  // SizeOfOptionalHeader (PE32+ with 16 directories)
    put16(kOpt, 0x20b);
    put32(kOpt + 60, kHeaders);
    put32(kOpt + 108, 16);
    const std::size_t sections = kOpt + 240;
    put32(sections + 16, 0x200);  // .text: second in the file
    put32(sections + 20, kHeaders + 0x200);
    put32(sections + 40 + 16, 0x200);  // .data: first in the file
    put32(sections + 40 + 20, kHeaders);
    for (std::size_t i = kHeaders; i < bytes.size(); ++i) {
      bytes[i] = static_cast<std::uint8_t>(i * 7);
    }
    put32(kSecurity, static_cast<std::uint32_t>(bytes.size() - 0x20));
    put32(kSecurity + 4, 0x20);
  }
};

Bytes hashRanges(const std::vector<ByteSpan>& ranges, crypto::DigestAlgorithm alg) {
  crypto::Hasher h(alg);
  for (ByteSpan r : ranges) {
    h.update(r);
  }
  return h.finish();
}

TEST(PeAuthenticode, HashesHeadersSectionsInFileOrderAndTrailingData) {
  PeImage pe;
  auto ranges = peAuthenticodeRanges(pe.bytes);
  ASSERT_TRUE(ranges) << ranges.error().toString();
  // Headers without CheckSum and the Certificate Table entry, then both sections in file
  // order, then the 0x30 trailing bytes; the 0x20-byte certificate table is left out.
  Bytes expected(pe.bytes.begin(), pe.bytes.begin() + PeImage::kCheckSum);
  expected.insert(expected.end(), pe.bytes.begin() + PeImage::kCheckSum + 4,
                  pe.bytes.begin() + PeImage::kSecurity);
  expected.insert(expected.end(), pe.bytes.begin() + PeImage::kSecurity + 8, pe.bytes.end() - 0x20);
  Bytes covered;
  for (ByteSpan r : *ranges) {
    covered.insert(covered.end(), r.begin(), r.end());
  }
  EXPECT_EQ(covered, expected);
}

TEST(PeAuthenticode, DigestIgnoresCheckSumAndSignatureButNotCode) {
  PeImage pe;
  auto base = peAuthenticodeSha384(pe.bytes);
  ASSERT_TRUE(base);
  PeImage other = pe;
  other.bytes[PeImage::kCheckSum] ^= 0xff;
  other.bytes.back() ^= 0xff;  // inside the certificate table
  EXPECT_EQ(*peAuthenticodeSha384(other.bytes), *base);
  other.bytes[PeImage::kHeaders + 0x300] ^= 1;  // .text
  EXPECT_NE(*peAuthenticodeSha384(other.bytes), *base);
}

TEST(PeAuthenticode, RejectsNonPeAndOutOfFileFields) {
  auto r = peAuthenticodeSha384(asBytes("not a PE image"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("DOS signature"), std::string::npos) << r.error().message;
  PeImage pe;
  pe.put32(PeImage::kOpt + 240 + 20, 0x10000);  // .text beyond the file
  r = peAuthenticodeSha384(pe.bytes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("section 0 raw data"), std::string::npos) << r.error().message;
  PeImage bad_magic;
  bad_magic.put16(PeImage::kOpt, 0x107);
  r = peAuthenticodeSha384(bad_magic.bytes);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("found 0x107"), std::string::npos) << r.error().message;
  Bytes truncated(pe.bytes.begin(), pe.bytes.begin() + 0x50);
  r = peAuthenticodeSha384(truncated);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

// A real signed kernel: Debian's linux-image-6.1.0-56-amd64 vmlinuz (as the guest build
// caches it), whose Authenticode signature carries the SHA-256 message digest below
// (`osslsigncode verify`: "Current message digest"). Skipped where that file is absent.
TEST(PeAuthenticode, SignedDebianKernelDigestMatchesItsSignature) {
  const std::filesystem::path kernel =
      "/root/.cache/cocoon/guest/tree/linux-image-6.1.0-56-amd64_6.1.192-2_amd64/boot/"
      "vmlinuz-6.1.0-56-amd64";
  auto bytes = readFile(kernel, 64 << 20);
  if (!bytes) {
    GTEST_SKIP() << kernel << " not found";
  }
  auto ranges = peAuthenticodeRanges(*bytes);
  ASSERT_TRUE(ranges) << ranges.error().toString();
  EXPECT_EQ(hexEncode(hashRanges(*ranges, crypto::DigestAlgorithm::kSha256)),
            "6b1bf35c3bee9918250f593a6fff889c75c1e239cd2fe9e5bb0cd3de9dcb8e51");
}

}  // namespace
}  // namespace cocoon::measure
