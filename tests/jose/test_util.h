// SPDX-License-Identifier: Apache-2.0
// Helpers for the JOSE tests: exact-reason assertions and hex/base64url shorthands.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/encoding.h"
#include "crypto/jose/jose_error.h"
#include "crypto/jose/jwk.h"

namespace cocoon::jose::testing {

// Passes when `result` failed with exactly `reason`; prints the message otherwise.
template <class T>
::testing::AssertionResult failsWith(const JoseResult<T>& result, JoseReason reason) {
  if (result) {
    return ::testing::AssertionFailure() << "succeeded, expected " << joseReasonName(reason);
  }
  if (result.error().reason != reason) {
    return ::testing::AssertionFailure()
           << "failed with " << joseReasonName(result.error().reason) << " ("
           << result.error().message << "), expected " << joseReasonName(reason);
  }
  return ::testing::AssertionSuccess();
}

inline Bytes hex(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '\n') {
      compact.push_back(c);
    }
  }
  return *hexDecode(compact);
}

inline std::string b64(std::string_view text) {
  return base64UrlEncode(asBytes(text));
}

inline std::string plain(const SecretBytes& bytes) {
  return toString(bytes.span());
}

// The key of a JWK text that is known to be valid.
inline crypto::Key jwkKey(std::string_view text) {
  return parseJwk(text).value().key;
}

}  // namespace cocoon::jose::testing
