// SPDX-License-Identifier: Apache-2.0
// CSPRNG output (RAND_bytes) and constant-time comparison (CRYPTO_memcmp).
#include "crypto/random.h"

#include <algorithm>
#include <climits>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/detail/fatal.h"

namespace cocoon::crypto {

void fillRandom(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length.
  constexpr std::size_t kMaxChunk = INT_MAX;
  while (!out.empty()) {
    std::size_t n = std::min(out.size(), kMaxChunk);
    detail::cryptoCheck(RAND_bytes(out.data(), static_cast<int>(n)) == 1,
                        "the CSPRNG (RAND_bytes) failed; refusing to go on without randomness");
    out = out.subspan(n);
  }
}

Bytes randomBytes(std::size_t n) {
  Bytes out(n);
  fillRandom(out);
  return out;
}

SecretBytes randomSecret(std::size_t n) {
  SecretBytes out(n);
  fillRandom(out.mutableSpan());
  return out;
}

bool constantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cocoon::crypto
