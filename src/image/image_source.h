// SPDX-License-Identifier: Apache-2.0
// ImageSource: where the puller fetches manifests and blobs from (a registry, or an OCI
// image layout on disk).
//
// Trust: everything a source returns is untrusted; the puller checks every byte against
// a digest before it uses it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/manifest.h"

namespace cocoon::image {

struct FetchedManifest {
  Bytes body;
  std::string content_type;  // "" when the source gave none
};

// Implementations are thread-safe: the puller streams several blobs at once, each from
// its own thread.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // "reference" is a tag or a digest string ("sha256:..."). At most `max_bytes`.
  // Errors: kNotFound naming the reference; kUnauthenticated; transport errors.
  virtual Result<FetchedManifest> manifest(std::string_view reference, std::size_t max_bytes) = 0;
  // The whole blob (configs), at most `max_bytes` (kResourceExhausted beyond).
  virtual Result<Bytes> blob(const oci::Descriptor& descriptor, std::size_t max_bytes) = 0;
  // Streams the blob to `on_chunk` in order, each byte once (resuming internally after a
  // broken connection where the source can). An error of `on_chunk` aborts and is returned.
  virtual Status streamBlob(const oci::Descriptor& descriptor,
                            const std::function<Status(ByteSpan)>& on_chunk) = 0;
  // For messages: "registry 127.0.0.1:5000 repository a/b" or "oci layout /x".
  virtual std::string describe() const = 0;
};

}  // namespace cocoon::image
