// SPDX-License-Identifier: Apache-2.0
// Literal decoders for test vectors.
#include "support/expect.h"

#include "common/encoding.h"

namespace cocoon::test {

Bytes unhex(std::string_view hex) {
  auto bytes = hexDecode(hex);
  EXPECT_TRUE(bytes) << "bad hex literal: " << hex.substr(0, 40);
  return bytes ? *bytes : Bytes{};
}

Bytes unb64u(std::string_view text) {
  auto bytes = base64UrlDecode(text);
  EXPECT_TRUE(bytes) << "bad base64url literal: " << text.substr(0, 40);
  return bytes ? *bytes : Bytes{};
}

}  // namespace cocoon::test
