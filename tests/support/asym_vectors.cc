// SPDX-License-Identifier: Apache-2.0
// Builds keys from the published vectors in asym_vectors.h.
#include "support/asym_vectors.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::test {

crypto::RsaComponents rsaComponents(const RsaJwkVector& v, bool with_private) {
  crypto::RsaComponents c;
  c.n = unb64u(v.n);
  c.e = unb64u(v.e);
  if (with_private) {
    c.d = SecretBytes(unb64u(v.d));
    c.p = SecretBytes(unb64u(v.p));
    c.q = SecretBytes(unb64u(v.q));
    c.dp = SecretBytes(unb64u(v.dp));
    c.dq = SecretBytes(unb64u(v.dq));
    c.qi = SecretBytes(unb64u(v.qi));
  }
  return c;
}

crypto::Key rsaKey(const RsaJwkVector& v, bool with_private) {
  auto key = crypto::Key::fromRsa(rsaComponents(v, with_private));
  EXPECT_TRUE(key) << key.error().toString();
  return key ? *key : generated(crypto::KeyType::kRsa);
}

crypto::Key ecKey(const EcJwkVector& v, bool with_private) {
  Bytes d = unb64u(v.d);
  auto key = crypto::Key::fromEc(v.type, unb64u(v.x), unb64u(v.y),
                                 with_private ? std::optional<ByteSpan>(d) : std::nullopt);
  EXPECT_TRUE(key) << key.error().toString();
  return key ? *key : generated(v.type);
}

crypto::Key generated(crypto::KeyType type) {
  auto key = crypto::Key::generate(type);
  EXPECT_TRUE(key) << key.error().toString();
  return *key;
}

}  // namespace cocoon::test
