// SPDX-License-Identifier: Apache-2.0
// ByteSource: the pull interface every stage of the layer pipeline implements.
//
// A layer flows through one chain of sources, each wrapping the one before it:
//   registry body (bounded pipe) -> digest check -> decrypt hook -> decompress
//   -> diff_id check -> tar extraction (the consumer).
// Each stage holds a small fixed buffer, never a whole layer, so peak memory does not grow
// with layer size. Stages report errors as values; the consumer stops at the first one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"

namespace cocoon::image::layer {

// A forward-only stream of bytes. Not thread-safe: one consumer reads it.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to out.size() bytes into out and returns how many were read. Returns 0 only
  // at the end of the stream (and for an empty `out`); a short read is not an end.
  // Errors are final: after one, the source must not be read again.
  // Stages that check something at the end (a digest, an HMAC, a size) return their error
  // from the read that would otherwise have returned 0, so a consumer that reads until 0
  // has seen every check pass.
  virtual Result<std::size_t> read(std::span<std::uint8_t> out) = 0;
};

// Reads until `out` is full or the stream ends; returns the bytes read (less than
// out.size() only at the end of the stream).
Result<std::size_t> readFull(ByteSource& source, std::span<std::uint8_t> out);

// Reads and discards the rest of the stream (so its end-of-stream checks run); returns the
// number of bytes discarded.
Result<std::uint64_t> drain(ByteSource& source);

}  // namespace cocoon::image::layer
