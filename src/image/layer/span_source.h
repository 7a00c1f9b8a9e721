// SPDX-License-Identifier: Apache-2.0
// SpanSource: a ByteSource over bytes already in memory (small blobs, tests, fuzzers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/bytes.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::layer {

// Reads `data` front to back, at most `max_chunk` bytes per read (so tests can force the
// short reads a network source produces). Borrows `data`, which must outlive it. Never
// fails.
class SpanSource : public ByteSource {
 public:
  explicit SpanSource(ByteSpan data, std::size_t max_chunk = SIZE_MAX)
      : data_(data), max_chunk_(max_chunk == 0 ? 1 : max_chunk) {}

  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    const std::size_t n = std::min({out.size(), data_.size(), max_chunk_});
    if (n > 0) {
      std::memcpy(out.data(), data_.data(), n);
      data_ = data_.subspan(n);
    }
    return n;
  }

 private:
  ByteSpan data_;
  std::size_t max_chunk_;
};

}  // namespace cocoon::image::layer
