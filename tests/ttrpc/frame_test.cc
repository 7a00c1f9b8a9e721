// SPDX-License-Identifier: Apache-2.0
// Frame header codec and FrameDecoder: golden bytes, truncations, splits, oversized frames.
#include "ttrpc/frame.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::ttrpc {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;

// PROTOCOL.md: length u32 BE, stream id u32 BE, type u8, flags u8, then the payload.
TEST(TtrpcFrame, EncodesHeaderBigEndian) {
  Bytes out;
  appendFrame(out, 0x01020304, MessageType::kResponse, kFlagRemoteClosed, asBytes("abc"));
  EXPECT_EQ(out, unhex("00000003"
                       "01020304"
                       "02"
                       "01"
                       "616263"));
}

TEST(TtrpcFrame, ParsesHeaderFields) {
  const Bytes bytes = unhex(
      "00400000"
      "fffffffe"
      "03"
      "02");
  ByteReader in(bytes);
  auto h = parseFrameHeader(in);
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->length, 4u << 20);
  EXPECT_EQ(h->stream_id, 0xfffffffeu);
  EXPECT_EQ(h->type, MessageType::kData);
  EXPECT_EQ(h->flags, kFlagRemoteOpen);
  EXPECT_TRUE(in.expectEnd());
}

TEST(TtrpcFrame, RejectsEveryTruncatedHeader) {
  const Bytes bytes = unhex("00000003000000010100");
  for (std::size_t n = 0; n < kFrameHeaderSize; ++n) {
    ByteReader in(ByteSpan(bytes).first(n));
    expectError(parseFrameHeader(in), Code::kOutOfRange, "frame header needs 10 bytes");
    EXPECT_EQ(in.offset(), 0u) << "a short header must consume nothing (n=" << n << ")";
  }
}

TEST(TtrpcFrameDecoder, ReassemblesFramesFedOneByteAtATime) {
  Bytes stream;
  appendFrame(stream, 1, MessageType::kRequest, 0, asBytes("first"));
  appendFrame(stream, 3, MessageType::kRequest, 0, {});
  appendFrame(stream, 5, MessageType::kRequest, 0, asBytes("third"));
  FrameDecoder decoder;
  std::vector<std::pair<std::uint32_t, std::string>> got;
  for (std::uint8_t byte : stream) {
    decoder.append(ByteSpan(&byte, 1));
    while (auto frame = decoder.next()) {
      got.emplace_back(frame->header.stream_id, toString(frame->payload));
    }
  }
  const std::vector<std::pair<std::uint32_t, std::string>> want = {
      {1, "first"}, {3, ""}, {5, "third"}};
  EXPECT_EQ(got, want);
}

TEST(TtrpcFrameDecoder, SplitsManyFramesDeliveredAtOnce) {
  Bytes stream;
  for (std::uint32_t id = 1; id < 200; id += 2) {
    appendFrame(stream, id, MessageType::kResponse, 0, asBytes(std::to_string(id)));
  }
  FrameDecoder decoder;
  decoder.append(stream);
  std::uint32_t expected = 1;
  while (auto frame = decoder.next()) {
    EXPECT_EQ(frame->header.stream_id, expected);
    EXPECT_EQ(toString(frame->payload), std::to_string(expected));
    expected += 2;
  }
  EXPECT_EQ(expected, 201u);
}

TEST(TtrpcFrameDecoder, AcceptsPayloadExactlyAtTheCap) {
  FrameDecoder decoder(8);
  Bytes stream;
  appendFrame(stream, 1, MessageType::kRequest, 0, asBytes("12345678"));
  decoder.append(stream);
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_FALSE(frame->oversized);
  EXPECT_EQ(toString(frame->payload), "12345678");
}

// ttrpc channel.go: an oversized frame's payload is discarded and the next frame reads.
TEST(TtrpcFrameDecoder, ReportsOversizedFrameThenSkipsItsPayload) {
  FrameDecoder decoder(8);
  Bytes stream;
  appendFrame(stream, 7, MessageType::kRequest, 0, asBytes("123456789"));
  appendFrame(stream, 9, MessageType::kRequest, 0, asBytes("ok"));
  std::vector<DecodedFrame> got;
  std::vector<std::string> payloads;
  // Feed in 3-byte pieces so the discard spans several reads.
  for (std::size_t i = 0; i < stream.size(); i += 3) {
    decoder.append(ByteSpan(stream).subspan(i, std::min<std::size_t>(3, stream.size() - i)));
    while (auto frame = decoder.next()) {
      got.push_back(*frame);
      payloads.push_back(toString(frame->payload));
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].oversized);
  EXPECT_EQ(got[0].header.stream_id, 7u);
  EXPECT_EQ(got[0].header.length, 9u);
  EXPECT_FALSE(got[1].oversized);
  EXPECT_EQ(got[1].header.stream_id, 9u);
  EXPECT_EQ(payloads[1], "ok");
}

TEST(TtrpcFrameDecoder, NeverBuffersAnOversizedPayload) {
  FrameDecoder decoder;  // the real 4 MiB cap
  decoder.append(
      unhex("ffffffff"
            "00000001"
            "01"
            "00"));
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_TRUE(frame->oversized);
  EXPECT_EQ(frame->header.length, 0xffffffffu);
  // 4 GiB announced: the decoder asks for bounded reads, never the whole length.
  EXPECT_LE(decoder.missing(), kMaxMessageSize);
  decoder.append(Bytes(1000, 0));
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(TtrpcFrameDecoder, MissingCountsTowardTheFrameInProgress) {
  FrameDecoder decoder;
  EXPECT_EQ(decoder.missing(), kFrameHeaderSize);
  decoder.append(
      unhex("00000064"
            "00000001"));
  EXPECT_EQ(decoder.missing(), 2u);
  decoder.append(unhex("0100"));
  EXPECT_EQ(decoder.missing(), 100u);
}

}  // namespace
}  // namespace cocoon::ttrpc
