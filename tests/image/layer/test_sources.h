// SPDX-License-Identifier: Apache-2.0
// Test helpers for the layer pipeline: draining a source, failing and counting sources,
// payloads, and the gzip/zstd CLIs as compressors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::layer::test {

// Reads `source` to its end (0) in reads of at most `chunk` bytes.
Result<Bytes> readAll(ByteSource& source, std::size_t chunk = 64 * 1024);

// A source that fails every read with `error`.
class FailingSource : public ByteSource {
 public:
  explicit FailingSource(Error error) : error_(std::move(error)) {}
  Result<std::size_t> read(std::span<std::uint8_t>) override { return fail(error_); }

 private:
  Error error_;
};

// Wraps a source and counts the bytes it handed out.
class CountingSource : public ByteSource {
 public:
  explicit CountingSource(ByteSource& in) : in_(in) {}
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  std::uint64_t count() const { return count_; }

 private:
  ByteSource& in_;
  std::uint64_t count_ = 0;
};

// `size` bytes of tar-like content: text lines with counters mixed with pseudo-random
// binary runs (compresses about 3:1, like a real layer), deterministic.
Bytes makePayload(std::size_t size, std::uint32_t seed = 1);

// Runs a compressor CLI (argv, e.g. {"gzip", "-9", "-c"}) with `input` on stdin and
// returns its stdout; fails the current test when it does not exit 0.
Bytes runCompressor(const std::vector<std::string>& argv, ByteSpan input);

}  // namespace cocoon::image::layer::test
