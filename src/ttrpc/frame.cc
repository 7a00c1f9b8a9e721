// SPDX-License-Identifier: Apache-2.0
// Frame header codec and the incremental frame decoder.
#include "ttrpc/frame.h"

#include <algorithm>
#include <cstring>

namespace cocoon::ttrpc {

Result<FrameHeader> parseFrameHeader(ByteReader& in) {
  // Checked up front so that a short header consumes nothing.
  if (in.remaining() < kFrameHeaderSize) {
    return fail(Code::kOutOfRange, "frame header needs {} bytes at offset {}, only {} left",
                kFrameHeaderSize, in.offset(), in.remaining());
  }
  FrameHeader h;
  COCOON_ASSIGN_OR_RETURN(h.length, in.readU32Be());
  COCOON_ASSIGN_OR_RETURN(h.stream_id, in.readU32Be());
  COCOON_ASSIGN_OR_RETURN(const std::uint8_t type, in.readU8());
  h.type = static_cast<MessageType>(type);
  COCOON_ASSIGN_OR_RETURN(h.flags, in.readU8());
  return h;
}

void appendFrame(Bytes& out, std::uint32_t stream_id, MessageType type, std::uint8_t flags,
                 ByteSpan payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  const std::uint8_t header[kFrameHeaderSize] = {static_cast<std::uint8_t>(length >> 24),
                                                 static_cast<std::uint8_t>(length >> 16),
                                                 static_cast<std::uint8_t>(length >> 8),
                                                 static_cast<std::uint8_t>(length),
                                                 static_cast<std::uint8_t>(stream_id >> 24),
                                                 static_cast<std::uint8_t>(stream_id >> 16),
                                                 static_cast<std::uint8_t>(stream_id >> 8),
                                                 static_cast<std::uint8_t>(stream_id),
                                                 static_cast<std::uint8_t>(type),
                                                 flags};
  out.insert(out.end(), std::begin(header), std::end(header));
  out.insert(out.end(), payload.begin(), payload.end());
}

std::span<std::uint8_t> FrameDecoder::prepare(std::size_t min_size) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  if (buf_.size() - end_ < min_size) {
    // Move the unread tail to the front before growing.
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, buffered());
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < min_size) {
      buf_.resize(end_ + min_size);
    }
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void FrameDecoder::commit(std::size_t n) {
  end_ += n;
}

void FrameDecoder::append(ByteSpan bytes) {
  auto span = prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), span.begin());
  commit(bytes.size());
}

std::size_t FrameDecoder::missing() const {
  if (discard_ > 0) {
    return static_cast<std::size_t>(std::min<std::uint64_t>(discard_, kMaxMessageSize));
  }
  if (buffered() < kFrameHeaderSize) {
    return kFrameHeaderSize - buffered();
  }
  ByteReader in(ByteSpan(buf_).subspan(begin_, kFrameHeaderSize));
  const auto header = parseFrameHeader(in);
  if (!header || header->length > max_payload_) {
    return 1;
  }
  return std::max<std::size_t>(1, kFrameHeaderSize + header->length - buffered());
}

std::optional<DecodedFrame> FrameDecoder::next() {
  if (discard_ > 0) {
    const auto dropped = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, buffered()));
    begin_ += dropped;
    discard_ -= dropped;
    if (discard_ > 0) {
      return std::nullopt;
    }
  }
  if (buffered() < kFrameHeaderSize) {
    return std::nullopt;
  }
  ByteReader in(ByteSpan(buf_).subspan(begin_, buffered()));
  auto header = parseFrameHeader(in);
  if (!header) {
    return std::nullopt;  // unreachable: 10 bytes are buffered
  }
  if (header->length > max_payload_) {
    // ttrpc channel.go: the payload is discarded and the stream answered with
    // RESOURCE_EXHAUSTED; the connection goes on.
    begin_ += kFrameHeaderSize;
    discard_ = header->length;
    return DecodedFrame{*header, {}, true};
  }
  auto payload = in.readSpan(header->length);
  if (!payload) {
    return std::nullopt;
  }
  begin_ += kFrameHeaderSize + header->length;
  return DecodedFrame{*header, *payload, false};
}

}  // namespace cocoon::ttrpc
