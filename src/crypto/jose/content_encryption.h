// SPDX-License-Identifier: Apache-2.0
// JWE content encryption (RFC 7518 §5): AES-GCM and AES-CBC with HMAC-SHA-2
// (AES_CBC_HMAC_SHA2, §5.2) over a content encryption key (CEK).
#pragma once

#include "common/bytes.h"
#include "crypto/jose/algorithms.h"
#include "crypto/jose/jose_error.h"

namespace cocoon::jose {

struct ContentCiphertext {
  Bytes ciphertext;
  Bytes tag;
};

// Encrypts `plaintext` with `cek` (contentKeySize(enc) bytes) and `iv` (contentIvSize
// bytes), authenticating `aad`. For CBC-HMAC the first half of the CEK is the MAC key and
// the second half the AES key; the tag is the first half of HMAC(MAC key, AAD || IV ||
// ciphertext || AL) with AL the AAD length in bits as a 64-bit big-endian integer.
// Fails with kInvalidArgument on a wrong CEK or IV size.
JoseResult<ContentCiphertext> encryptContent(ContentEncryption enc, ByteSpan cek, ByteSpan iv,
                                             ByteSpan aad, ByteSpan plaintext);

// The inverse. Fails with kMalformed when the IV or tag has the wrong size (visible to
// anyone), kInvalidArgument on a wrong CEK size, and kDecryptionFailed, with one message
// for every cause, when the tag does not match or the CBC padding is bad. CBC-HMAC checks
// the tag in constant time before decrypting.
JoseResult<SecretBytes> decryptContent(ContentEncryption enc, ByteSpan cek, ByteSpan iv,
                                       ByteSpan aad, ByteSpan ciphertext, ByteSpan tag);

}  // namespace cocoon::jose
