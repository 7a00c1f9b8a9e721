// SPDX-License-Identifier: Apache-2.0
#include "common/byte_reader.h"

#include <gtest/gtest.h>

namespace cocoon {
namespace {

const Bytes kData = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

TEST(ByteReader, ReadsBothByteOrders) {
  ByteReader r(kData);
  EXPECT_EQ(*r.readU8(), 0x01);
  EXPECT_EQ(*r.readU16Le(), 0x0302);
  EXPECT_EQ(*r.readU16Be(), 0x0405);
  EXPECT_EQ(r.offset(), 5u);
  ByteReader r2(kData);
  EXPECT_EQ(*r2.readU32Le(), 0x04030201u);
  EXPECT_EQ(*r2.readU32Be(), 0x05060708u);
  ByteReader r3(kData);
  EXPECT_EQ(*r3.readU64Le(), 0x0807060504030201ull);
  ByteReader r4(kData);
  EXPECT_EQ(*r4.readU64Be(), 0x0102030405060708ull);
  EXPECT_EQ(r4.remaining(), 1u);
}

TEST(ByteReader, FailedReadLeavesCursorAndNamesOffset) {
  ByteReader r(kData);
  ASSERT_TRUE(r.skip(7));
  auto v = r.readU32Be();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Code::kOutOfRange);
  EXPECT_EQ(v.error().message, "need 4 bytes at offset 7, only 2 left");
  EXPECT_EQ(r.offset(), 7u);
  EXPECT_EQ(*r.readU16Be(), 0x0809);
  EXPECT_TRUE(r.expectEnd());
}

TEST(ByteReader, RejectsHugeDeclaredLengthsWithoutOverflow) {
  ByteReader r(kData);
  ASSERT_TRUE(r.skip(1));
  EXPECT_EQ(r.readSpan(SIZE_MAX).error().code, Code::kOutOfRange);
  EXPECT_EQ(r.skip(SIZE_MAX - 1).error().code, Code::kOutOfRange);
  EXPECT_EQ(r.subReader(9).error().code, Code::kOutOfRange);
}

TEST(ByteReader, ArraysSpansAndSubReaders) {
  ByteReader r(kData);
  std::array<std::uint8_t, 3> a{};
  ASSERT_TRUE(r.readArray(a));
  EXPECT_EQ(a, (std::array<std::uint8_t, 3>{1, 2, 3}));
  auto sub = r.subReader(4);
  ASSERT_TRUE(sub);
  EXPECT_EQ(*sub->readU32Be(), 0x04050607u);
  EXPECT_TRUE(sub->expectEnd());
  auto rest = r.readRest();
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_TRUE(r.expectEnd());
}

TEST(ByteReader, ExpectEndRejectsTrailingBytes) {
  ByteReader r(kData);
  ASSERT_TRUE(r.skip(8));
  auto end = r.expectEnd();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, Code::kInvalidArgument);
  EXPECT_EQ(end.error().message, "1 trailing bytes at offset 8");
}

TEST(ByteReader, EveryTruncationOfAFixedRecordFails) {
  // A record of u16 + u32 + 3-byte array: every shorter prefix must fail to parse.
  auto parse = [](ByteSpan bytes) -> Status {
    ByteReader r(bytes);
    COCOON_TRY(r.readU16Be());
    COCOON_TRY(r.readU32Le());
    std::array<std::uint8_t, 3> tail{};
    COCOON_TRY(r.readArray(tail));
    return r.expectEnd();
  };
  ASSERT_TRUE(parse(kData));
  for (std::size_t n = 0; n < kData.size(); ++n) {
    EXPECT_FALSE(parse(ByteSpan(kData).first(n))) << "prefix of " << n;
  }
}

}  // namespace
}  // namespace cocoon
