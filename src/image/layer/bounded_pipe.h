// SPDX-License-Identifier: Apache-2.0
// BoundedPipe: a fixed-capacity byte pipe from a pushing producer (the download thread)
// to a pulling consumer (the extraction thread, through a ByteSource).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "common/bytes.h"
#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::layer {

// A ring buffer of `capacity` bytes between exactly one producer thread and one consumer
// thread. The producer blocks while the pipe is full, the consumer while it is empty, so a
// layer in flight never holds more than `capacity` bytes here whatever its size.
//
// Ending the stream:
//   - close(): the producer is done; the consumer reads what is buffered, then 0 (EOF).
//   - fail(e): the producer failed (e.g. the connection broke); the consumer's next read
//     returns `e`, even if bytes are still buffered (the layer is lost anyway).
//   - cancel(e): the consumer gave up (e.g. extraction failed); a producer blocked in
//     write() wakes and returns `e`, and every later write() returns `e`, so the download
//     stops promptly.
// The first of these wins; later calls are ignored.
//
// Thread-safe: write/close/fail from the producer and reader()/cancel from the consumer
// may run concurrently. The pipe must outlive both threads' use of it.
class BoundedPipe {
 public:
  static constexpr std::size_t kDefaultCapacity = std::size_t{256} * 1024;

  // REQUIRES: capacity > 0.
  explicit BoundedPipe(std::size_t capacity = kDefaultCapacity);
  BoundedPipe(const BoundedPipe&) = delete;
  BoundedPipe& operator=(const BoundedPipe&) = delete;
  ~BoundedPipe();

  // Producer: appends all of `data`, blocking while the pipe is full (a write larger than
  // the capacity goes through in pieces as the consumer reads).
  // Errors: the consumer's cancel() error when it cancelled (also while blocked);
  // kFailedPrecondition when the producer already called close() or fail().
  Status write(ByteSpan data);

  // Producer: end of stream.
  void close();

  // Producer: the stream failed; the consumer's next read returns `error`.
  void fail(Error error);

  // Consumer: gives up on the stream; wakes a blocked producer, whose write() returns
  // `error`. Later reads return `error` too.
  void cancel(Error error);

  // Consumer: the read side. read() blocks until at least one byte is buffered or the
  // stream ended; returns 0 after close() once the buffer is empty, and the fail() or
  // cancel() error otherwise. The reference stays valid as long as the pipe.
  ByteSource& reader();

  std::size_t capacity() const { return capacity_; }

 private:
  class Reader;
  Result<std::size_t> readSome(std::span<std::uint8_t> out);

  const std::size_t capacity_;
  std::unique_ptr<std::uint8_t[]> ring_;
  std::unique_ptr<Reader> reader_;

  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  // Guarded by mutex_.
  std::size_t head_ = 0;  // index of the oldest buffered byte
  std::size_t size_ = 0;  // bytes buffered
  bool closed_ = false;
  std::optional<Error> failed_;     // set by fail()
  std::optional<Error> cancelled_;  // set by cancel()
};

}  // namespace cocoon::image::layer
