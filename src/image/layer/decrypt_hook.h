// SPDX-License-Identifier: Apache-2.0
// DecryptHook: the pipeline stage between the blob digest check and decompression where
// encrypted layers are decrypted (image-trust, issue #4).
#pragma once

#include <memory>

#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::layer {

// Turns the stream of an encrypted layer blob (already under its digest check, so the
// ciphertext is the one the manifest names) into the plaintext layer stream, which then
// goes to decompression. The implementation decides from the layer's descriptor (media
// type "+encrypted", annotations) which key to ask the KeyProvider for; it is constructed
// per layer with that descriptor. Unencrypted layers skip this stage.
// The returned source borrows `in`, which must outlive it, holds a fixed-size buffer (not
// the layer), and must authenticate what it yields: a read that would return 0 fails
// instead when the ciphertext's authentication tag or MAC does not verify (ByteSource
// end-of-stream rule), so plaintext is only trusted once the stream reached its end.
// Not thread-safe: one layer, one consumer.
class DecryptHook {
 public:
  virtual ~DecryptHook() = default;

  // Wraps `in`. Errors (from wrap or from the returned source's reads): kPermissionDenied
  // when no key is available for the layer, kDataLoss when the ciphertext does not
  // authenticate, kInvalidArgument for a malformed encryption annotation.
  virtual Result<std::unique_ptr<ByteSource>> wrap(ByteSource& in) = 0;
};

}  // namespace cocoon::image::layer
