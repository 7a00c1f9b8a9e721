// SPDX-License-Identifier: Apache-2.0
// Symmetric ciphers: AES-GCM (AEAD), AES-CBC (for JOSE A128CBC-HS256), streaming
// AES-CTR (ocicrypt layers) and AES key wrap (RFC 3394).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/result.h"

struct evp_cipher_ctx_st;

namespace cocoon::crypto {

inline constexpr std::size_t kGcmTagSize = 16;
inline constexpr std::size_t kAesBlockSize = 16;

struct GcmSealed {
  Bytes ciphertext;
  std::array<std::uint8_t, kGcmTagSize> tag{};
};

// AES-GCM with a 16/24/32-byte key (AES-128/192/256) and a 12-byte IV (other IV
// lengths are rejected: they weaken GCM). Fails with kInvalidArgument on a wrong key or
// IV size.
Result<GcmSealed> aesGcmEncrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan plaintext);
// Fails with kUnauthenticated when the tag does not match (no plaintext is returned),
// kInvalidArgument on a wrong key, IV or tag size.
Result<Bytes> aesGcmDecrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan ciphertext,
                            ByteSpan tag);

// AES-CBC with PKCS#7 padding, 16/24/32-byte key, 16-byte IV. Decryption fails with
// kInvalidArgument on bad padding or a length that is not a multiple of the block;
// callers must authenticate the ciphertext first (JOSE does, with HMAC).
Result<Bytes> aesCbcEncrypt(ByteSpan key, ByteSpan iv, ByteSpan plaintext);
Result<Bytes> aesCbcDecrypt(ByteSpan key, ByteSpan iv, ByteSpan ciphertext);

// Streaming AES-CTR (128-bit big-endian counter block starting at `iv`). Encryption and
// decryption are the same operation. Movable, not copyable, not thread-safe.
class AesCtr {
 public:
  // Fails with kInvalidArgument unless key is 16/24/32 bytes and iv is 16 bytes.
  static Result<AesCtr> create(ByteSpan key, ByteSpan iv);
  AesCtr(AesCtr&&) noexcept;
  AesCtr& operator=(AesCtr&&) noexcept;
  ~AesCtr();

  // Transforms in.size() bytes into out (REQUIRES: out.size() >= in.size(); in and out
  // may be the same buffer).
  void update(ByteSpan in, std::span<std::uint8_t> out);

 private:
  AesCtr();
  std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx_;
};

// RFC 3394 AES key wrap with the default IV. kek is 16/24/32 bytes; key is a multiple of
// 8 bytes and at least 16. Unwrap fails with kUnauthenticated when the integrity check
// fails, kInvalidArgument on bad sizes.
Result<Bytes> aesKeyWrap(ByteSpan kek, ByteSpan key);
Result<SecretBytes> aesKeyUnwrap(ByteSpan kek, ByteSpan wrapped);

}  // namespace cocoon::crypto
