// SPDX-License-Identifier: Apache-2.0
// Secure randomness and constant-time comparison.
#pragma once

#include <cstdint>
#include <span>

#include "common/bytes.h"

namespace cocoon::crypto {

// Bytes from OpenSSL's CSPRNG. A failure of the CSPRNG is fatal (the process aborts):
// there is no safe way to go on without randomness.
Bytes randomBytes(std::size_t n);
SecretBytes randomSecret(std::size_t n);
void fillRandom(std::span<std::uint8_t> out);

// Compares in time that depends only on the lengths (CRYPTO_memcmp). Different lengths
// compare unequal.
bool constantTimeEqual(ByteSpan a, ByteSpan b);

}  // namespace cocoon::crypto
