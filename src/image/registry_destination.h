// SPDX-License-Identifier: Apache-2.0
// An ImageDestination that pushes to an OCI distribution registry (RegistryClient push:
// HEAD for existing blobs, chunked uploads, manifest PUT).
//
// Trust: the registry is untrusted; every blob is hashed while it streams out, and the
// upload is committed only when digest and size match the descriptor.
#pragma once

#include <memory>

#include "image/image_destination.h"
#include "image/oci/reference.h"
#include "image/open_source.h"

namespace cocoon::image {

// Pushes to `ref`'s registry and repository; putManifest("") uses `ref`'s digest, else its
// tag. No mirrors and no short-name search: a push goes to the registry the reference
// names (docker.io for short names). registries.conf supplies `insecure` (plain http)
// and `blocked`; credentials come from the auth files as for pulls.
// The destination is thread-safe (blobs may be pushed concurrently) and holds at most
// RegistryOptions::upload_chunk_bytes of each blob in memory.
// Errors of open: kPermissionDenied for a blocked registry; errors reading registries.conf
// or an auth file; those of makeCurlHttpClient. No request is sent before the first call.
// Errors of the calls: see ImageDestination and RegistryClient (pushBlob, putManifest):
// kDataLoss when the produced bytes do not match the descriptor (upload cancelled),
// kUnauthenticated / kPermissionDenied when the registry refuses the push.
Result<std::unique_ptr<ImageDestination>> openRegistryDestination(const oci::Reference& ref,
                                                                  const SourceOptions& options);

}  // namespace cocoon::image
