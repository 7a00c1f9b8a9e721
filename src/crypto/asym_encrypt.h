// SPDX-License-Identifier: Apache-2.0
// Public-key encryption and agreement: RSA-OAEP and ECDH (P-256, P-384, P-521, X25519).
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/digest.h"
#include "crypto/key.h"

namespace cocoon::crypto {

// RSA-OAEP with MGF1, the same hash for OAEP and MGF1, empty label. hash is kSha1
// (JOSE "RSA-OAEP", ocicrypt via skopeo) or kSha256 ("RSA-OAEP-256"). Encrypt fails with
// kInvalidArgument when the key is not RSA or the plaintext is too long; decrypt fails
// with kUnauthenticated when the ciphertext does not decrypt (no detail is given, to
// avoid a padding oracle) and kFailedPrecondition for a public-only key.
Result<Bytes> rsaOaepEncrypt(const Key& public_key, DigestAlgorithm hash, ByteSpan plaintext);
Result<SecretBytes> rsaOaepDecrypt(const Key& private_key, DigestAlgorithm hash,
                                   ByteSpan ciphertext);

// Raw ECDH shared secret (the x coordinate for EC curves, RFC 7748 output for X25519).
// Fails with kInvalidArgument when the keys are of different types or curves, or when the
// peer's key is not an agreement key, kFailedPrecondition when `own` is public only, and
// kInvalidArgument for an all-zero X25519 result (a low-order peer point).
Result<SecretBytes> ecdh(const Key& own, const Key& peer);

// NIST SP 800-56A single-step (Concat) KDF with SHA-256: derives out_len bytes from the
// shared secret z and the encoded OtherInfo (JOSE ECDH-ES, RFC 7518 §4.6.2). Runs on
// OpenSSL's SSKDF. out_len 0 gives an empty result.
// REQUIRES: z is not empty (an ecdh() result never is); the process aborts otherwise.
SecretBytes concatKdfSha256(ByteSpan z, ByteSpan other_info, std::size_t out_len);

}  // namespace cocoon::crypto
