// SPDX-License-Identifier: Apache-2.0
// LeWriter: builds little-endian request structures for the guest drivers' ioctls and the
// QGS wire messages, field by field instead of casting packed structs.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace cocoon::attest::device {

// Appends fields to a buffer it owns. Not thread-safe.
class LeWriter {
 public:
  LeWriter& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  LeWriter& u16(std::uint16_t v) { return le(v, 2); }
  LeWriter& u32(std::uint32_t v) { return le(v, 4); }
  LeWriter& u64(std::uint64_t v) { return le(v, 8); }
  LeWriter& bytes(ByteSpan b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  LeWriter& zeros(std::size_t n) {
    out_.resize(out_.size() + n, 0);
    return *this;
  }
  std::size_t size() const { return out_.size(); }
  Bytes take() { return std::move(out_); }

 private:
  LeWriter& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    return *this;
  }
  Bytes out_;
};

}  // namespace cocoon::attest::device
