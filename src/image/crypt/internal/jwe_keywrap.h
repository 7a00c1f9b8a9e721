// SPDX-License-Identifier: Apache-2.0
// The ocicrypt "jwe" scheme: the private options as the plaintext of one JWE in the JSON
// serialization, with a recipient per public key (RSA-OAEP for RSA, ECDH-ES+A256KW for EC)
// and A256GCM content encryption, as ocicrypt's keywrapper_jwe.go writes it with go-jose.
// Trust: entries come from the manifest (untrusted); plaintext is authentic only when
// decryption succeeds.
#pragma once

#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"

namespace cocoon::image::crypt::internal {

// Decrypts one "jwe" entry with `key`. Returns nullopt when the key serves no recipient or
// does not decrypt (wrong key); kInvalidArgument when the entry is not a JWE (naming why).
// Accepts go-jose's general serialization, which repeats the first recipient's
// "encrypted_key" at the top level, and the flattened one.
Result<std::optional<SecretBytes>> unwrapJwe(ByteSpan entry, const crypto::Key& key);

// One JWE (general JSON serialization) of `plaintext` to every key in `public_keys`.
// Errors: kInvalidArgument for a key type JWE cannot encrypt to (Ed25519), or none.
Result<Bytes> wrapJwe(ByteSpan plaintext, std::span<const crypto::Key> public_keys);

}  // namespace cocoon::image::crypt::internal
