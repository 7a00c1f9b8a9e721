// SPDX-License-Identifier: Apache-2.0
// Fuzzes JWK and JWK Set parsing: a JWK that parses must serialize, parse back to the same
// key and thumbprint, and serialize to the same text again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/jose/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cocoon::jose;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto jwk = parseJwk(text)) {
    const JwkExport what = jwk->key.hasPrivate() ? JwkExport::kPrivate : JwkExport::kPublic;
    auto serialized = serializeJwk(*jwk, what);
    if (!serialized) {
      std::abort();
    }
    auto again = parseJwk(*serialized);
    if (!again || !again->key.samePublicKey(jwk->key) ||
        again->key.hasPrivate() != jwk->key.hasPrivate() ||
        jwkThumbprint(again->key) != jwkThumbprint(jwk->key) ||
        serializeJwk(*again, what).value() != *serialized) {
      std::abort();
    }
  }
  (void)parseJwkSet(text);
  return 0;
}
