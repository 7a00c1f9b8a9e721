// SPDX-License-Identifier: Apache-2.0
// Fuzzes the strict base64url, base64 and hex decoders: whatever decodes must re-encode to
// exactly the input (each byte string has one accepted encoding).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto decoded = cocoon::base64UrlDecode(text)) {
    if (cocoon::base64UrlEncode(*decoded) != text) {
      std::abort();
    }
  }
  if (auto decoded = cocoon::base64Decode(text)) {
    if (cocoon::base64Encode(*decoded) != text) {
      std::abort();
    }
  }
  if (auto decoded = cocoon::hexDecode(text)) {
    if (decoded->size() * 2 != text.size()) {
      std::abort();
    }
  }
  return 0;
}
