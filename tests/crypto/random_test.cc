// SPDX-License-Identifier: Apache-2.0
// CSPRNG output sizes and distinctness; constant-time comparison semantics.
#include "crypto/random.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cocoon::crypto {
namespace {

TEST(RandomBytes, HasRequestedSize) {
  for (std::size_t n : {0u, 1u, 16u, 33u, 4096u}) {
    EXPECT_EQ(randomBytes(n).size(), n);
    EXPECT_EQ(randomSecret(n).size(), n);
  }
}

TEST(RandomBytes, DrawsAreDistinct) {
  // 100 draws of 128 bits: a repeat would mean a broken generator (chance ~2^-115).
  // Kept as strings: g++ 12 -O3 misreports the vector<uint8_t> comparison in std::set.
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(toString(randomBytes(16))).second);
  }
  EXPECT_FALSE(constantTimeEqual(randomSecret(32).span(), randomSecret(32).span()));
}

TEST(RandomBytes, FillsWholeBuffer) {
  // Every byte position gets written: over 64 fills of a zeroed buffer, each position is
  // non-zero at least once unless the generator is broken (chance 256^-64 per position).
  Bytes seen_nonzero(1000, 0);
  for (int round = 0; round < 64; ++round) {
    Bytes buf(1000, 0);
    fillRandom(buf);
    for (std::size_t i = 0; i < buf.size(); ++i) {
      seen_nonzero[i] |= buf[i];
    }
  }
  for (std::size_t i = 0; i < seen_nonzero.size(); ++i) {
    ASSERT_NE(seen_nonzero[i], 0) << "offset " << i;
  }
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  const Bytes a = {1, 2, 3, 4};
  EXPECT_TRUE(constantTimeEqual(a, Bytes{1, 2, 3, 4}));
  EXPECT_FALSE(constantTimeEqual(a, Bytes{1, 2, 3, 5}));
  EXPECT_FALSE(constantTimeEqual(a, Bytes{0, 2, 3, 4}));
  EXPECT_FALSE(constantTimeEqual(a, Bytes{1, 2, 3}));
  EXPECT_FALSE(constantTimeEqual(a, Bytes{1, 2, 3, 4, 0}));
  EXPECT_FALSE(constantTimeEqual(a, {}));
  EXPECT_TRUE(constantTimeEqual({}, {}));
}

}  // namespace
}  // namespace cocoon::crypto
