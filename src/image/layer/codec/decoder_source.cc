// SPDX-License-Identifier: Apache-2.0
// InputBuffer, OutputBudget and the DecoderSource read loop.
#include "image/layer/codec/decoder_source.h"

#include <algorithm>
#include <cstring>

namespace cocoon::image::layer::codec {

InputBuffer::InputBuffer(ByteSource& in, ByteSpan prefix, std::size_t capacity)
    : in_(&in), buffer_(std::max(capacity, prefix.size())), end_(prefix.size()) {
  std::copy(prefix.begin(), prefix.end(), buffer_.begin());
}

Status InputBuffer::refill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    offset_base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    return fail(Code::kInternal, "decoder made no progress on a full {}-byte input buffer",
                buffer_.size());
  }
  COCOON_ASSIGN_OR_RETURN(std::size_t n,
                          in_->read(std::span(buffer_).subspan(end_, buffer_.size() - end_)));
  end_ += n;
  eof_ = n == 0;
  return okStatus();
}

Status OutputBudget::add(std::size_t n) {
  total_ += n;
  if (total_ > limit_) {
    return fail(Code::kResourceExhausted,
                "decompressed size exceeds the limit of {} bytes (max_output_bytes)", limit_);
  }
  return okStatus();
}

DecoderSource::DecoderSource(std::string_view format, InputBuffer input, std::uint64_t max_output)
    : format_(format), input_(std::move(input)), budget_(max_output) {}

Error DecoderSource::truncated() const {
  return makeError(Code::kDataLoss, "truncated {} stream: input ends at offset {}", format_,
                   input_.offset());
}

Result<std::size_t> DecoderSource::read(std::span<std::uint8_t> out) {
  if (done_ || out.empty()) {
    return 0;
  }
  for (;;) {
    if (input_.pending().empty() && !input_.eof()) {
      COCOON_TRY(input_.refill());
    }
    if (atBoundary()) {
      if (input_.pending().empty() && input_.eof()) {
        done_ = true;
        return 0;
      }
      COCOON_TRY(startNext());
    }
    const ByteSpan in = input_.pending();
    COCOON_ASSIGN_OR_RETURN(Progress progress, step(in, out));
    input_.consume(progress.consumed);
    if (progress.produced > 0) {
      COCOON_TRY(budget_.add(progress.produced));
      return progress.produced;
    }
    if (progress.consumed == 0 && !atBoundary()) {
      // The decoder needs more input than is pending (an empty step at the end of the
      // input also flushes what it buffered; nothing came, so the stream stops short).
      if (input_.eof()) {
        return fail(truncated());
      }
      COCOON_TRY(input_.refill());
    }
  }
}

}  // namespace cocoon::image::layer::codec
