// SPDX-License-Identifier: Apache-2.0
// ISA-L loaded at run time by the gzip decoder: the table and its load errors.
#include "image/layer/codec/isal_library.h"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::layer::codec {
namespace {

using cocoon::test::expectError;

TEST(IsalLibrary, LoadsOnceAndInflatesThroughTheTable) {
  auto first = loadIsalLibrary();
  ASSERT_TRUE(first) << first.error().toString();
  auto second = loadIsalLibrary();
  ASSERT_TRUE(second) << second.error().toString();
  EXPECT_EQ(*first, *second);
  const IsalLibrary& isal = **first;

  // A raw deflate stream made by zlib, inflated by ISA-L through the table.
  const std::string text = "cocoon loads ISA-L only for gzip layers";
  std::array<std::uint8_t, 256> deflated{};
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = deflated.data();
  z.avail_out = static_cast<uInt>(deflated.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  const auto deflated_size = static_cast<std::uint32_t>(z.total_out);
  deflateEnd(&z);

  auto state = std::make_unique<inflate_state>();
  isal.inflate_init(state.get());
  std::array<std::uint8_t, 256> out{};
  state->next_in = deflated.data();
  state->avail_in = deflated_size;
  state->next_out = out.data();
  state->avail_out = static_cast<std::uint32_t>(out.size());
  ASSERT_EQ(isal.inflate(state.get()), ISAL_DECOMP_OK);
  EXPECT_EQ(state->block_state, ISAL_BLOCK_FINISH);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), state->total_out), text);
}

TEST(IsalLibrary, MissingLibraryIsUnavailableNamingIt) {
  auto lib = openIsalLibrary("libcocoon-no-such-isal.so.2");
  expectError(lib, Code::kUnavailable,
              "gzip layer decompression: cannot load libcocoon-no-such-isal.so.2: ");
}

TEST(IsalLibrary, OtherLibraryIsUnavailableNamingTheMissingFunction) {
  auto lib = openIsalLibrary("libz.so.1");
  expectError(lib, Code::kUnavailable,
              "gzip layer decompression: libz.so.1 has no function isal_inflate_init: ");
}

}  // namespace
}  // namespace cocoon::image::layer::codec
