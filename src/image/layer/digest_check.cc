// SPDX-License-Identifier: Apache-2.0
// DigestCheckSource: hash while streaming, check size early and digest at the end.
#include "image/layer/digest_check.h"

#include <algorithm>

namespace cocoon::image::layer {

DigestCheckSource::DigestCheckSource(ByteSource& in, oci::Digest expected, std::string what,
                                     std::optional<std::uint64_t> expected_size)
    : in_(&in),
      expected_(std::move(expected)),
      what_(std::move(what)),
      expected_size_(expected_size),
      hasher_(oci::hasherFor(expected_)) {}

Result<std::size_t> DigestCheckSource::read(std::span<std::uint8_t> out) {
  if (verified_ || out.empty()) {
    return 0;
  }
  if (expected_size_) {
    // Ask for at most one byte past the promised size: enough to see an overrun without
    // pulling more of a hostile stream.
    const std::uint64_t allowed = *expected_size_ - std::min(total_, *expected_size_) + 1;
    out = out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), allowed)));
  }
  COCOON_ASSIGN_OR_RETURN(std::size_t n, in_->read(out));
  if (n > 0) {
    total_ += n;
    if (expected_size_ && total_ > *expected_size_) {
      return fail(Code::kDataLoss, "{}: stream is longer than its expected size of {} bytes", what_,
                  *expected_size_);
    }
    hasher_.update(out.first(n));
    return n;
  }
  if (expected_size_ && total_ != *expected_size_) {
    return fail(Code::kDataLoss, "{}: stream ended after {} bytes, expected {} bytes", what_,
                total_, *expected_size_);
  }
  COCOON_TRY(oci::checkDigest(expected_, oci::digestFromHash(expected_.algorithm, hasher_.finish()),
                              what_));
  verified_ = true;
  return 0;
}

}  // namespace cocoon::image::layer
