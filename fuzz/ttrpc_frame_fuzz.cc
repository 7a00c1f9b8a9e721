// SPDX-License-Identifier: Apache-2.0
// Fuzzes the ttrpc frame reader and envelope decoders with hostile bytes: the input is cut
// into frames (fed in pieces whose sizes come from the first byte, with a small cap so
// oversized frames are common), and every frame payload goes through decodeRequest and
// decodeResponse; a decoded Request must survive a re-encode unchanged.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "ttrpc/frame.h"
#include "ttrpc/message.h"

namespace {

using cocoon::ByteSpan;
namespace ttrpc = cocoon::ttrpc;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void checkPayload(ByteSpan payload) {
  auto request = ttrpc::decodeRequest(payload);
  if (request) {
    require(!request->service.empty() && !request->method.empty());
    require(request->timeout_nano >= 0);
    const std::string again = ttrpc::encodeRequest(*request);
    auto back = ttrpc::decodeRequest(cocoon::asBytes(again));
    require(back.has_value());
    require(back->service == request->service && back->method == request->method &&
            back->payload == request->payload && back->metadata == request->metadata &&
            back->timeout_nano == request->timeout_nano);
  }
  (void)ttrpc::decodeResponse(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // Byte 0: piece size (1..256) and whether to use a 64-byte cap or the real 4 MiB one.
  const std::size_t piece = static_cast<std::size_t>(data[0] & 0x7f) * 2 + 1;
  const std::uint32_t cap = (data[0] & 0x80) != 0 ? 64 : ttrpc::kMaxMessageSize;
  const ByteSpan input(data + 1, size - 1);

  cocoon::ByteReader header_reader(input);
  (void)ttrpc::parseFrameHeader(header_reader);

  ttrpc::FrameDecoder decoder(cap);
  std::size_t consumed = 0;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    decoder.append(input.subspan(at, std::min(piece, input.size() - at)));
    while (auto frame = decoder.next()) {
      require(frame->oversized == (frame->header.length > cap));
      require(frame->payload.size() == (frame->oversized ? 0 : frame->header.length));
      consumed += ttrpc::kFrameHeaderSize + frame->payload.size();
      require(consumed <= input.size());
      require(decoder.missing() >= 1);
      checkPayload(frame->payload);
    }
  }
  return 0;
}
