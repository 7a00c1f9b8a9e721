// SPDX-License-Identifier: Apache-2.0
// ByteReader: a bounds-checked cursor over untrusted binary input (STYLE.md §5.1).
// Trust: everything read through it is attacker-controlled until verified.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon {

// Reads fixed-width integers (explicit byte order), byte arrays and spans from a buffer it
// does not own. Every read checks remaining() first; a failed read returns
// Code::kOutOfRange naming the offset, the bytes wanted and the bytes left, and leaves the
// cursor where it was. The buffer must outlive the reader and the spans it hands out.
// Not thread-safe.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return data_.size() - offset_; }
  std::size_t size() const { return data_.size(); }

  Result<std::uint8_t> readU8();
  Result<std::uint16_t> readU16Le();
  Result<std::uint16_t> readU16Be();
  Result<std::uint32_t> readU32Le();
  Result<std::uint32_t> readU32Be();
  Result<std::uint64_t> readU64Le();
  Result<std::uint64_t> readU64Be();

  // Fills `out` with the next N bytes.
  template <std::size_t N>
  Status readArray(std::array<std::uint8_t, N>& out) {
    COCOON_ASSIGN_OR_RETURN(ByteSpan bytes, readSpan(N));
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return okStatus();
  }

  // The next n bytes, as a view into the buffer.
  Result<ByteSpan> readSpan(std::size_t n);
  // Skips n bytes.
  Status skip(std::size_t n);
  // The bytes from the cursor to the end, consuming them.
  ByteSpan readRest();
  // Fails with kInvalidArgument if any byte is left (trailing data is rejected unless a
  // format allows it, STYLE.md §5.7).
  Status expectEnd() const;
  // A reader over the next n bytes (a length-prefixed sub-structure); advances past them.
  Result<ByteReader> subReader(std::size_t n);

 private:
  Status need(std::size_t n) const;
  template <typename T, bool kBigEndian>
  Result<T> readInt();

  ByteSpan data_;
  std::size_t offset_ = 0;
};

}  // namespace cocoon
