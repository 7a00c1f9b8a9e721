// SPDX-License-Identifier: Apache-2.0
// Byte buffer vocabulary: Bytes (owned), ByteSpan (borrowed), SecretBytes (zeroised).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cocoon {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// Views a string's characters as bytes (no copy).
inline ByteSpan asBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Copies bytes into a string (for text protocols and JSON).
inline std::string toString(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline Bytes toBytes(std::string_view s) {
  auto b = asBytes(s);
  return {b.begin(), b.end()};
}

// Key material and other secrets. Zeroes its memory when destroyed or reassigned, has no
// stream or format operator, and compares only in constant time (constantTimeEqual in
// crypto/). Not thread-safe; move it rather than copy it.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : data_(size) {}
  explicit SecretBytes(ByteSpan bytes) : data_(bytes.begin(), bytes.end()) {}
  explicit SecretBytes(Bytes&& bytes) : data_(std::move(bytes)) {}
  SecretBytes(const SecretBytes& other) = default;
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      wipe();
      data_ = other.data_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan span() const { return data_; }
  std::span<std::uint8_t> mutableSpan() { return data_; }
  // Resizes, wiping the old storage first if it must move.
  void resize(std::size_t n);

 private:
  void wipe();
  std::vector<std::uint8_t> data_;
};

}  // namespace cocoon
