// SPDX-License-Identifier: Apache-2.0
// Copies an image (one platform's manifest, or a whole index) from an ImageSource to an
// ImageDestination, blob by blob, without unpacking it.
//
// Trust: the source is untrusted: manifests fetched by digest are checked against it, and
// every blob is checked against its descriptor while it streams into the destination (the
// destination's putBlob contract: kDataLoss, nothing stored).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "image/image_destination.h"
#include "image/image_source.h"
#include "image/oci/platform.h"

namespace cocoon::image {

// What happened to one blob: kSkipped (the destination had it), kCopying (started),
// kCopied (written).
enum class BlobEvent : std::uint8_t { kSkipped, kCopying, kCopied };

struct CopyOptions {
  // The index entry copied when the source reference names an index.
  oci::Platform platform = oci::hostPlatform();
  // Copy the index itself and every manifest it lists (nested indexes are refused).
  bool all_platforms = false;
  // Called for each blob (from the copying thread); may be empty.
  std::function<void(const oci::Descriptor&, BlobEvent)> on_blob;
};

struct CopyResult {
  oci::Digest manifest_digest;  // what the destination reference now names
  std::uint64_t bytes_copied = 0;
  std::size_t blobs_copied = 0;
  std::size_t blobs_skipped = 0;
};

// Copies `source_reference` (a tag or digest) of `source` to `destination` under
// `destination_reference` ("" for the destination's own tag). An image manifest is copied
// byte for byte (its digest is kept). For an index, only the manifest selected for
// options.platform is copied (and becomes the destination's tag) unless all_platforms,
// in which case every listed manifest is copied by digest and then the index, byte for
// byte, under the tag.
// Errors: those of the source (kNotFound, kUnauthenticated, ...) and the destination;
// kDataLoss for a manifest or blob that does not match its digest; kInvalidArgument for
// a malformed manifest; kNotFound when no index entry matches the platform;
// kUnimplemented for a nested index with all_platforms.
Result<CopyResult> copyImage(ImageSource& source, std::string_view source_reference,
                             ImageDestination& destination, std::string_view destination_reference,
                             const CopyOptions& options);

}  // namespace cocoon::image
