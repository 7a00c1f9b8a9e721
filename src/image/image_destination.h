// SPDX-License-Identifier: Apache-2.0
// ImageDestination: where images are written (a registry push, or an OCI image layout on
// disk) by `cocoon image copy|encrypt|sign`.
//
// Trust: a destination is where the *user* sends their image; it is not trusted to keep
// bytes intact, so writers compute every digest themselves and never take one from it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "image/image_source.h"
#include "image/oci/manifest.h"

namespace cocoon::image {

// Calls `sink` with the blob's bytes in order, once each; returns the first error of
// `sink` or of producing the bytes. Lets a writer stream a layer (e.g. through an
// encrypter) without holding it.
using BlobProducer = std::function<Status(const std::function<Status(ByteSpan)>& sink)>;

// Implementations are thread-safe for blobs (several layers may be written at once);
// manifests are written after all the blobs they name.
class ImageDestination {
 public:
  virtual ~ImageDestination() = default;

  // True when the destination already holds `descriptor`'s blob (digest and size), so a
  // writer can skip it. Errors: transport errors only (absent is `false`).
  virtual Result<bool> hasBlob(const oci::Descriptor& descriptor) = 0;

  // Writes a blob whose digest and size the caller states in `descriptor`. The bytes are
  // hashed while written and the write fails with kDataLoss (nothing left behind) when
  // they do not match. Errors: kDataLoss, kUnauthenticated / kPermissionDenied (registry
  // refused the push), transport and I/O errors, errors of `producer`.
  virtual Status putBlob(const oci::Descriptor& descriptor, const BlobProducer& producer) = 0;

  // Writes a manifest (or index) under `reference` (a tag, or a digest string meaning
  // "untagged") with its media type. Returns the manifest's digest (computed here).
  virtual Result<oci::Digest> putManifest(std::string_view reference, ByteSpan body,
                                          std::string_view media_type) = 0;

  // For messages: "registry 127.0.0.1:5000 repository a/b" or "oci layout /x".
  virtual std::string describe() const = 0;
};

}  // namespace cocoon::image
