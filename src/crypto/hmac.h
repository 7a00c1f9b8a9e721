// SPDX-License-Identifier: Apache-2.0
// HMAC (RFC 2104) over SHA-256/384/512, one-shot and streaming.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "crypto/digest.h"

struct evp_mac_ctx_st;

namespace cocoon::crypto {

// One-shot HMAC. SHA-1 is not accepted (REQUIRES: alg is a SHA-2 algorithm).
Bytes hmac(DigestAlgorithm alg, ByteSpan key, ByteSpan data);

// Streaming HMAC (e.g. ocicrypt's HMAC over a layer's ciphertext as it streams).
// Movable, not copyable, not thread-safe.
class Hmac {
 public:
  Hmac(DigestAlgorithm alg, ByteSpan key);
  Hmac(Hmac&&) noexcept;
  Hmac& operator=(Hmac&&) noexcept;
  ~Hmac();

  void update(ByteSpan data);
  // The MAC of everything given to update(). The object must not be used afterwards.
  Bytes finish();

 private:
  std::unique_ptr<evp_mac_ctx_st, void (*)(evp_mac_ctx_st*)> ctx_;
};

}  // namespace cocoon::crypto
