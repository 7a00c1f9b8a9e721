// SPDX-License-Identifier: Apache-2.0
// The ocicrypt layer cipher AES_256_CTR_HMAC_SHA256, streaming in both directions:
// AES-256-CTR with a 16-byte initial counter block (the nonce), HMAC-SHA256 keyed with the
// same symkey over the ciphertext, checked at the end of the stream.
// Trust: the ciphertext is untrusted until the HMAC matched at its end; plaintext handed
// out before that must be discarded by the consumer when the final read fails.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/cipher.h"
#include "crypto/hmac.h"
#include "image/crypt/annotations.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::crypt {

// Decrypts `in` (the layer blob) as it is read, into the caller's buffer: no buffer of its
// own, no copy of the layer. The read that would return 0 compares the HMAC of all the
// ciphertext with `expected_hmac` in constant time and fails with kDataLoss ("layer HMAC
// mismatch") when they differ. Errors of `in` pass through. `in` must outlive the source.
// Not thread-safe.
class DecryptingSource : public layer::ByteSource {
 public:
  // Errors: kInvalidArgument when the key, nonce or HMAC has the wrong size.
  static Result<std::unique_ptr<DecryptingSource>> create(layer::ByteSource& in,
                                                          const PrivateOptions& options,
                                                          ByteSpan expected_hmac);
  Result<std::size_t> read(std::span<std::uint8_t> out) override;

 private:
  DecryptingSource(layer::ByteSource& in, crypto::AesCtr ctr, crypto::Hmac hmac, Bytes expected);
  layer::ByteSource& in_;
  crypto::AesCtr ctr_;
  crypto::Hmac hmac_;
  Bytes expected_;
  bool done_ = false;
};

// Encrypts a layer as it streams: update() turns plaintext into ciphertext and feeds the
// HMAC, finish() returns the HMAC. The same key and nonce give the same bytes, so a writer
// can encrypt once to learn the blob's digest and again to upload it. Not thread-safe.
class LayerEncrypter {
 public:
  // Errors: kInvalidArgument when the key or nonce has the wrong size.
  static Result<LayerEncrypter> create(const PrivateOptions& options);
  // REQUIRES: out.size() >= in.size() (in and out may be the same buffer).
  void update(ByteSpan in, std::span<std::uint8_t> out);
  // The HMAC over every ciphertext byte produced (kHmacSize bytes); ends the encrypter.
  Bytes finish();

 private:
  LayerEncrypter(crypto::AesCtr ctr, crypto::Hmac hmac);
  crypto::AesCtr ctr_;
  crypto::Hmac hmac_;
};

// Fresh private options for one layer: a random 32-byte symkey and 16-byte nonce, and the
// plaintext blob's `digest` ("sha256:...").
PrivateOptions newLayerOptions(std::string digest);

}  // namespace cocoon::image::crypt
