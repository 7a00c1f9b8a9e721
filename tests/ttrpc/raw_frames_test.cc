// SPDX-License-Identifier: Apache-2.0
// Our server against hand-made frames on a raw socket: hostile input ends that stream
// with a status and the connection keeps serving; deadlines are enforced by the server.
#include <gtest/gtest.h>

#include "support/expect.h"
#include "ttrpc/message.h"
#include "ttrpc/server.h"
#include "ttrpc/test_service.h"

namespace cocoon::ttrpc::test {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;

class TtrpcRawFramesTest : public ::testing::Test {
 protected:
  explicit TtrpcRawFramesTest(ServerOptions options = {}) : server_(options) {}

  void SetUp() override {
    path_ = (dir_.path() / "ttrpc.sock").string();
    ASSERT_TRUE(registerEcho(server_));
    ASSERT_TRUE(server_.listen({Address::Kind::kUnix, path_}));
    ASSERT_TRUE(server_.start());
    auto conn = RawConnection::connectUnix(path_);
    ASSERT_TRUE(conn) << conn.error().toString();
    conn_.emplace(std::move(*conn));
  }

  // Reads one Response frame and checks its stream id; returns the decoded answer.
  Result<std::string> answer(std::uint32_t stream_id) {
    auto frame = conn_->readFrame();
    if (!frame) {
      return fail(frame.error());
    }
    EXPECT_EQ(frame->first.stream_id, stream_id);
    EXPECT_EQ(frame->first.type, MessageType::kResponse);
    EXPECT_EQ(frame->first.flags, 0);
    return decodeResponse(frame->second);
  }

  void expectEchoWorks(std::uint32_t stream_id) {
    EchoRequest r;
    r.set_text("alive");
    ASSERT_TRUE(conn_->write(echoRequestFrame(stream_id, r)));
    auto resp = answer(stream_id);
    ASSERT_TRUE(resp) << resp.error().toString();
    EchoResponse decoded;
    ASSERT_TRUE(decoded.ParseFromString(*resp));
    EXPECT_EQ(decoded.text(), "alive");
  }

  TempDir dir_;
  std::string path_;
  Server server_;
  std::optional<RawConnection> conn_;
};

TEST_F(TtrpcRawFramesTest, AnswersWellFormedRequest) {
  expectEchoWorks(1);
}

// ttrpc channel.go: the oversized payload is discarded, the stream answered
// RESOURCE_EXHAUSTED, and the connection goes on.
TEST_F(TtrpcRawFramesTest, AnswersOversizedFrameAndKeepsConnection) {
  Bytes frame = unhex(
      "00400001"
      "00000001"
      "01"
      "00");
  frame.resize(frame.size() + kMaxMessageSize + 1, 0x5a);
  ASSERT_TRUE(conn_->write(frame));
  expectError(answer(1), Code::kResourceExhausted,
              "message length 4194305 exceeds maximum message size of 4194304");
  expectEchoWorks(3);
}

TEST_F(TtrpcRawFramesTest, AnswersGarbageRequestInvalidArgument) {
  Bytes frame;
  appendFrame(frame, 5, MessageType::kRequest, 0, unhex("0a64ffff"));
  ASSERT_TRUE(conn_->write(frame));
  expectError(answer(5), Code::kInvalidArgument, "undecodable ttrpc Request (4 bytes)");
  expectEchoWorks(7);
}

TEST_F(TtrpcRawFramesTest, AnswersEvenStreamIdInvalidArgument) {
  EchoRequest r;
  ASSERT_TRUE(conn_->write(echoRequestFrame(2, r)));
  expectError(answer(2), Code::kInvalidArgument, "stream id 2 is even");
  expectEchoWorks(3);
}

TEST_F(TtrpcRawFramesTest, IgnoresUnknownFrameTypes) {
  Bytes frame;
  appendFrame(frame, 1, static_cast<MessageType>(0x7f), 0, asBytes("whatever"));
  appendFrame(frame, 3, MessageType::kData, kFlagRemoteClosed, {});
  ASSERT_TRUE(conn_->write(frame));
  // The first frame back answers the Echo: nothing was sent for the two above.
  expectEchoWorks(5);
}

TEST_F(TtrpcRawFramesTest, AnswersDeadlineExceededWhenTimeoutPasses) {
  EchoRequest r;
  r.set_sleep_ms(30'000);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(conn_->write(echoRequestFrame(9, r, /*timeout_nano=*/50'000'000)));
  expectError(answer(9), Code::kDeadlineExceeded, "deadline exceeded");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  expectEchoWorks(11);
}

TEST_F(TtrpcRawFramesTest, SurvivesPeerClosingMidFrame) {
  ASSERT_TRUE(
      conn_->write(unhex("00000100"
                         "00000001"
                         "01"
                         "00"
                         "0a")));
  conn_.reset();
  // A new connection is served; the half frame is gone with its connection.
  auto conn = RawConnection::connectUnix(path_);
  ASSERT_TRUE(conn);
  conn_.emplace(std::move(*conn));
  expectEchoWorks(1);
}

class TtrpcRawFramesLimitsTest : public TtrpcRawFramesTest {
 protected:
  TtrpcRawFramesLimitsTest()
      : TtrpcRawFramesTest({.max_calls_per_connection = 2, .max_queued_bytes = 64 * 1024}) {}
};

TEST_F(TtrpcRawFramesLimitsTest, RefusesCallsBeyondTheInFlightLimit) {
  EchoRequest slow;
  slow.set_sleep_ms(30'000);
  ASSERT_TRUE(conn_->write(echoRequestFrame(1, slow, /*timeout_nano=*/300'000'000)));
  ASSERT_TRUE(conn_->write(echoRequestFrame(3, slow, /*timeout_nano=*/300'000'000)));
  ASSERT_TRUE(conn_->write(echoRequestFrame(5, slow)));
  expectError(answer(5), Code::kResourceExhausted, "too many calls in flight (2 allowed)");
  // Once the two time out, there is room again.
  expectError(answer(1), Code::kDeadlineExceeded);
  expectError(answer(3), Code::kDeadlineExceeded);
  expectEchoWorks(7);
}

// A peer that sends garbage without reading the answers: the server stops reading once
// 64 KiB of answers are queued, so the peer's writes block instead of our memory growing.
TEST_F(TtrpcRawFramesLimitsTest, StopsReadingWhileAnswersPileUp) {
  Bytes frame;
  appendFrame(frame, 5, MessageType::kRequest, 0, unhex("0a64ffff"));
  Bytes burst;
  for (int i = 0; i < 1000; ++i) {
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  // Each garbage frame (14 bytes) earns a ~50-byte answer; 64 MiB of them would queue
  // over 200 MiB of answers if the server kept reading.
  std::size_t sent = 0;
  bool blocked = false;
  while (sent < (64u << 20) && !blocked) {
    auto wrote = conn_->writeSome(burst, std::chrono::milliseconds(500));
    ASSERT_TRUE(wrote) << wrote.error().toString();
    blocked = *wrote == 0;
    sent += *wrote;
  }
  ASSERT_TRUE(blocked) << sent << " bytes were read without the answers being read";
  // A server merely slow to read would make room again; ours has stopped reading.
  auto again = conn_->writeSome(burst, std::chrono::seconds(2));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u) << "the server went on reading with its answers unread";
}

TEST(TtrpcServer, RejectsOverlongUnixPathWithoutThrowing) {
  Server server;
  expectError(server.listen({Address::Kind::kUnix, "/tmp/" + std::string(200, 'a')}),
              Code::kInvalidArgument, "unix socket path of 205 bytes (1..107 allowed)");
}

}  // namespace
}  // namespace cocoon::ttrpc::test
