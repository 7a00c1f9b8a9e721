// SPDX-License-Identifier: Apache-2.0
// The ttrpc frame: a 10-byte header (length, stream id, type, flags; big-endian) and a
// payload of at most 4 MiB (containerd/ttrpc PROTOCOL.md, channel.go).
// Trust: every byte fed to FrameDecoder comes from the peer and is hostile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/byte_reader.h"
#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::ttrpc {

inline constexpr std::size_t kFrameHeaderSize = 10;
// Largest payload either side accepts (ttrpc channel.go messageLengthMax).
inline constexpr std::uint32_t kMaxMessageSize = 4u << 20;

// Frame types. Values other than these may arrive and are ignored (ttrpc 1.0 servers
// must ignore unknown types for forward compatibility).
enum class MessageType : std::uint8_t {
  kRequest = 1,
  kResponse = 2,
  kData = 3,  // ttrpc 1.2 streaming; not produced by this implementation
};

// Flag bits (ttrpc 1.2 streaming); unary frames carry 0.
inline constexpr std::uint8_t kFlagRemoteClosed = 0x1;
inline constexpr std::uint8_t kFlagRemoteOpen = 0x2;

struct FrameHeader {
  std::uint32_t length = 0;  // payload bytes, header excluded
  std::uint32_t stream_id = 0;
  MessageType type = MessageType::kRequest;
  std::uint8_t flags = 0;
};

// Reads the 10 header bytes. Any value is structurally valid (the length cap is a policy
// the caller applies). Errors: kOutOfRange (from ByteReader) when fewer than 10 bytes
// remain; the reader is then left where the header started.
Result<FrameHeader> parseFrameHeader(ByteReader& in);

// Appends header + payload to `out`.
// REQUIRES: payload.size() <= UINT32_MAX (callers cap it at kMaxMessageSize first).
void appendFrame(Bytes& out, std::uint32_t stream_id, MessageType type, std::uint8_t flags,
                 ByteSpan payload);

// One frame cut out of the byte stream. `payload` points into the decoder's buffer and
// stays valid until the next call to prepare(), append() or next(). An oversized frame
// (length > the decoder's cap) is reported with oversized = true and an empty payload;
// its payload bytes are then skipped as they arrive, never buffered.
struct DecodedFrame {
  FrameHeader header;
  ByteSpan payload;
  bool oversized = false;
};

// Incremental frame reader over an untrusted byte stream: feed it whatever the transport
// delivered, take out complete frames. Buffers at most one frame of up to `max_payload`
// bytes plus what the transport read ahead. Not thread-safe.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_payload = kMaxMessageSize) : max_payload_(max_payload) {}

  // A writable span of at least `min_size` bytes at the end of the buffer, for the
  // transport to read into; follow it with commit(bytes_read).
  std::span<std::uint8_t> prepare(std::size_t min_size);
  // REQUIRES: n <= the size of the span the last prepare() returned.
  void commit(std::size_t n);
  // prepare + copy + commit.
  void append(ByteSpan bytes);

  // The next complete frame, or nullopt when more bytes are needed.
  std::optional<DecodedFrame> next();

  // Bytes still missing to complete the frame in progress (at least 1), a hint for
  // prepare(): the decoder never needs more than this before next() makes progress.
  std::size_t missing() const;

 private:
  std::size_t buffered() const { return end_ - begin_; }

  std::uint32_t max_payload_;
  Bytes buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  // Payload bytes of an oversized frame still to be dropped.
  std::uint64_t discard_ = 0;
};

}  // namespace cocoon::ttrpc
