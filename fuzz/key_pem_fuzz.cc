// SPDX-License-Identifier: Apache-2.0
// Fuzzes key import (PEM text, SPKI and PKCS#8 DER): a key that imports must export and
// import back to the same public key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cocoon::crypto::Key;
  const cocoon::ByteSpan bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto key : {Key::fromPem(text), Key::fromPublicDer(bytes), Key::fromPrivateDer(bytes)}) {
    if (!key) {
      continue;
    }
    auto again = Key::fromPublicDer(key->publicDer());
    if (!again || !again->samePublicKey(*key)) {
      std::abort();
    }
  }
  return 0;
}
