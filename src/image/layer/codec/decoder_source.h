// SPDX-License-Identifier: Apache-2.0
// Shared machinery of the decompressors: a refillable input buffer, an output budget and
// the read loop that drives a streaming decoder one step at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::layer::codec {

// Compressed input read from a ByteSource into a fixed buffer. Starts with `prefix` (the
// bytes openDecompressor read to check the magic).
class InputBuffer {
 public:
  InputBuffer(ByteSource& in, ByteSpan prefix, std::size_t capacity);

  // Bytes read from the source and not consumed yet.
  ByteSpan pending() const { return {buffer_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t n) { begin_ += n; }
  // True once the source returned 0.
  bool eof() const { return eof_; }
  // Stream offset of the first pending byte.
  std::uint64_t offset() const { return offset_base_ + begin_; }
  // Moves the pending bytes to the front and reads once more into the free space (sets
  // eof() when the source ends). Errors: the source's; kInternal when the buffer is full.
  Status refill();

 private:
  ByteSource* in_;
  std::vector<std::uint8_t> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_base_ = 0;  // stream offset of buffer_[0]
  bool eof_ = false;
};

// Counts output against DecompressLimits::max_output_bytes.
class OutputBudget {
 public:
  explicit OutputBudget(std::uint64_t limit) : limit_(limit) {}
  // Errors: kResourceExhausted naming the limit once the total exceeds it.
  Status add(std::size_t n);

 private:
  std::uint64_t limit_;
  std::uint64_t total_ = 0;
};

// A ByteSource driving a streaming decoder over an InputBuffer. Subclasses decode one step
// at a time; this class refills input, counts output and detects truncation.
class DecoderSource : public ByteSource {
 public:
  Result<std::size_t> read(std::span<std::uint8_t> out) final;

 protected:
  DecoderSource(std::string_view format, InputBuffer input, std::uint64_t max_output);

  struct Progress {
    std::size_t consumed = 0;
    std::size_t produced = 0;
  };
  // Decodes from `in` into `out` (either may be empty). Errors: kDataLoss (corrupt data),
  // kResourceExhausted (a decoder memory limit).
  virtual Result<Progress> step(ByteSpan in, std::span<std::uint8_t> out) = 0;
  // True between members / frames: a step has finished one and buffers no output.
  virtual bool atBoundary() const = 0;
  // Called at a boundary when more input follows: checks and starts the next member.
  virtual Status startNext() = 0;

  InputBuffer& input() { return input_; }
  // kDataLoss "truncated <format> stream" at the current offset.
  Error truncated() const;

 private:
  std::string_view format_;
  InputBuffer input_;
  OutputBudget budget_;
  bool done_ = false;
};

}  // namespace cocoon::image::layer::codec
