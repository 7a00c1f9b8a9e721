// SPDX-License-Identifier: Apache-2.0
// An ImageSource over OCI distribution registries: resolves the reference through
// containers-registries.conf (short-name search, mirrors, blocked and insecure registries),
// finds credentials in the containers auth files, and serves manifests and blobs from the
// first endpoint that has the image.
#pragma once

#include <memory>

#include "image/image_source.h"
#include "image/oci/reference.h"
#include "image/open_source.h"

namespace cocoon::image {

struct OpenedRegistry {
  std::unique_ptr<ImageSource> source;
  oci::Reference reference;  // the candidate that has the image (short names resolved)
};

// Tries the candidates (short-name search registries, then for each its mirrors and its
// primary location) in order, fetching the manifest from each until one has it; that
// endpoint then serves everything else. The manifest fetched while probing is kept for the
// puller's first request.
// Errors: kPermissionDenied for a blocked registry; the last candidate's error when none
// has the image (kNotFound, kUnauthenticated, kUnavailable, ...), with every candidate
// tried named in the message; errors reading registries.conf or an auth file (with path).
Result<OpenedRegistry> openRegistrySource(const oci::Reference& ref, const SourceOptions& options);

}  // namespace cocoon::image
