// SPDX-License-Identifier: Apache-2.0
// ByteReader implementation.
#include "common/byte_reader.h"

namespace cocoon {

Status ByteReader::need(std::size_t n) const {
  if (n > remaining()) {
    return fail(Code::kOutOfRange, "need {} bytes at offset {}, only {} left", n, offset_,
                remaining());
  }
  return okStatus();
}

template <typename T, bool kBigEndian>
Result<T> ByteReader::readInt() {
  COCOON_TRY(need(sizeof(T)));
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    const std::size_t shift = kBigEndian ? (sizeof(T) - 1 - i) * 8 : i * 8;
    value = static_cast<T>(value | static_cast<T>(static_cast<T>(data_[offset_ + i]) << shift));
  }
  offset_ += sizeof(T);
  return value;
}

Result<std::uint8_t> ByteReader::readU8() {
  return readInt<std::uint8_t, false>();
}
Result<std::uint16_t> ByteReader::readU16Le() {
  return readInt<std::uint16_t, false>();
}
Result<std::uint16_t> ByteReader::readU16Be() {
  return readInt<std::uint16_t, true>();
}
Result<std::uint32_t> ByteReader::readU32Le() {
  return readInt<std::uint32_t, false>();
}
Result<std::uint32_t> ByteReader::readU32Be() {
  return readInt<std::uint32_t, true>();
}
Result<std::uint64_t> ByteReader::readU64Le() {
  return readInt<std::uint64_t, false>();
}
Result<std::uint64_t> ByteReader::readU64Be() {
  return readInt<std::uint64_t, true>();
}

Result<ByteSpan> ByteReader::readSpan(std::size_t n) {
  COCOON_TRY(need(n));
  ByteSpan out = data_.subspan(offset_, n);
  offset_ += n;
  return out;
}

Status ByteReader::skip(std::size_t n) {
  COCOON_TRY(need(n));
  offset_ += n;
  return okStatus();
}

ByteSpan ByteReader::readRest() {
  ByteSpan out = data_.subspan(offset_);
  offset_ = data_.size();
  return out;
}

Status ByteReader::expectEnd() const {
  if (remaining() != 0) {
    return fail(Code::kInvalidArgument, "{} trailing bytes at offset {}", remaining(), offset_);
  }
  return okStatus();
}

Result<ByteReader> ByteReader::subReader(std::size_t n) {
  COCOON_ASSIGN_OR_RETURN(ByteSpan bytes, readSpan(n));
  return ByteReader(bytes);
}

}  // namespace cocoon
