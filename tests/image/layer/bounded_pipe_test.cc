// SPDX-License-Identifier: Apache-2.0
#include "image/layer/bounded_pipe.h"

#include <gtest/gtest.h>

#include <thread>

#include "image/layer/test_sources.h"
#include "support/expect.h"

namespace cocoon::image::layer {
namespace {

using cocoon::test::expectError;
using test::makePayload;
using test::readAll;

TEST(BoundedPipe, CarriesBytesInOrderAcrossManyWrapArounds) {
  BoundedPipe pipe(1000);  // not a divisor of the chunk sizes, so copies wrap the ring
  const Bytes payload = makePayload(300 * 1024);
  std::thread producer([&] {
    std::size_t offset = 0;
    std::size_t chunk = 1;
    while (offset < payload.size()) {
      const std::size_t n = std::min(chunk, payload.size() - offset);
      ASSERT_TRUE(pipe.write(ByteSpan(payload).subspan(offset, n)));
      offset += n;
      chunk = chunk * 7 % 2999 + 1;
    }
    pipe.close();
  });
  std::size_t largest_read = 0;
  Bytes received;
  std::array<std::uint8_t, 1777> buffer{};
  for (;;) {
    auto n = pipe.reader().read(buffer);
    ASSERT_TRUE(n) << n.error().toString();
    if (*n == 0) {
      break;
    }
    largest_read = std::max(largest_read, *n);
    received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<long>(*n));
  }
  producer.join();
  EXPECT_EQ(received, payload);
  EXPECT_LE(largest_read, pipe.capacity());
}

TEST(BoundedPipe, ReadsBufferedBytesThenEofAfterClose) {
  BoundedPipe pipe(16);
  ASSERT_TRUE(pipe.write(asBytes("tar")));
  pipe.close();
  EXPECT_EQ(*readAll(pipe.reader()), toBytes("tar"));
  std::array<std::uint8_t, 4> buffer{};
  cocoon::test::expectValue(pipe.reader().read(buffer), std::size_t{0});
}

TEST(BoundedPipe, FailReachesTheConsumerBeforeBufferedBytes) {
  BoundedPipe pipe(16);
  ASSERT_TRUE(pipe.write(asBytes("partial")));
  pipe.fail(Error(Code::kUnavailable, "connection reset at byte 7"));
  std::array<std::uint8_t, 16> buffer{};
  expectError(pipe.reader().read(buffer), Code::kUnavailable, "connection reset at byte 7");
}

TEST(BoundedPipe, FailWakesABlockedConsumer) {
  BoundedPipe pipe(16);
  std::thread producer([&] { pipe.fail(Error(Code::kDeadlineExceeded, "registry stalled")); });
  std::array<std::uint8_t, 16> buffer{};
  expectError(pipe.reader().read(buffer), Code::kDeadlineExceeded, "registry stalled");
  producer.join();
}

TEST(BoundedPipe, CancelUnblocksAProducerWaitingForSpace) {
  BoundedPipe pipe(16);
  Status status;
  // 64 bytes cannot fit in 16: the producer blocks until the consumer reads or cancels.
  std::thread producer([&] { status = pipe.write(makePayload(64)); });
  pipe.cancel(Error(Code::kCancelled, "extraction failed: entry ../etc/passwd"));
  producer.join();
  expectError(status, Code::kCancelled, "extraction failed: entry ../etc/passwd");
  // Later writes and reads see the same error.
  expectError(pipe.write(asBytes("x")), Code::kCancelled);
  std::array<std::uint8_t, 4> buffer{};
  expectError(pipe.reader().read(buffer), Code::kCancelled);
}

TEST(BoundedPipe, WriteAfterCloseIsRefused) {
  BoundedPipe pipe(16);
  pipe.close();
  expectError(pipe.write(asBytes("late")), Code::kFailedPrecondition, "already ended");
}

TEST(BoundedPipe, FirstEndWins) {
  BoundedPipe pipe(16);
  pipe.close();
  pipe.fail(Error(Code::kUnavailable, "too late"));
  std::array<std::uint8_t, 4> buffer{};
  cocoon::test::expectValue(pipe.reader().read(buffer), std::size_t{0});
}

TEST(BoundedPipe, EmptyReadReturnsZeroWithoutBlocking) {
  BoundedPipe pipe(16);
  cocoon::test::expectValue(pipe.reader().read({}), std::size_t{0});
}

}  // namespace
}  // namespace cocoon::image::layer
