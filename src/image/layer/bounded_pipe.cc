// SPDX-License-Identifier: Apache-2.0
// BoundedPipe: a mutex-guarded ring buffer with one condition variable per direction.
#include "image/layer/bounded_pipe.h"

#include <algorithm>
#include <cstring>

namespace cocoon::image::layer {

class BoundedPipe::Reader : public ByteSource {
 public:
  explicit Reader(BoundedPipe& pipe) : pipe_(pipe) {}
  Result<std::size_t> read(std::span<std::uint8_t> out) override { return pipe_.readSome(out); }

 private:
  BoundedPipe& pipe_;
};

BoundedPipe::BoundedPipe(std::size_t capacity)
    : capacity_(capacity),
      ring_(std::make_unique<std::uint8_t[]>(capacity)),
      reader_(std::make_unique<Reader>(*this)) {}

BoundedPipe::~BoundedPipe() = default;

ByteSource& BoundedPipe::reader() {
  return *reader_;
}

Status BoundedPipe::write(ByteSpan data) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (cancelled_) {
      return cocoon::fail(*cancelled_);
    }
    if (closed_ || failed_) {
      return cocoon::fail(Code::kFailedPrecondition, "write to a pipe the producer already ended");
    }
    if (data.empty()) {
      return okStatus();
    }
    not_full_.wait(lock, [&] { return size_ < capacity_ || cancelled_; });
    if (cancelled_) {
      continue;
    }
    // Copy into the free region, which may wrap around the end of the ring.
    const std::size_t tail = (head_ + size_) % capacity_;
    const std::size_t n = std::min({data.size(), capacity_ - size_, capacity_ - tail});
    std::memcpy(ring_.get() + tail, data.data(), n);
    size_ += n;
    data = data.subspan(n);
    not_empty_.notify_one();
  }
}

void BoundedPipe::close() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
  not_empty_.notify_all();
}

void BoundedPipe::fail(Error error) {
  const std::lock_guard lock(mutex_);
  if (!closed_ && !failed_) {
    failed_ = std::move(error);
  }
  not_empty_.notify_all();
}

void BoundedPipe::cancel(Error error) {
  const std::lock_guard lock(mutex_);
  if (!cancelled_) {
    cancelled_ = std::move(error);
  }
  not_full_.notify_all();
}

Result<std::size_t> BoundedPipe::readSome(std::span<std::uint8_t> out) {
  if (out.empty()) {
    return 0;
  }
  std::unique_lock lock(mutex_);
  not_empty_.wait(lock, [&] { return size_ > 0 || closed_ || failed_ || cancelled_; });
  if (cancelled_) {
    return cocoon::fail(*cancelled_);
  }
  if (failed_) {
    return cocoon::fail(*failed_);
  }
  if (size_ == 0) {
    return 0;
  }
  const std::size_t n = std::min({out.size(), size_, capacity_ - head_});
  std::memcpy(out.data(), ring_.get() + head_, n);
  head_ = (head_ + n) % capacity_;
  size_ -= n;
  not_full_.notify_one();
  return n;
}

}  // namespace cocoon::image::layer
