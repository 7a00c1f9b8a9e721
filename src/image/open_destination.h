// SPDX-License-Identifier: Apache-2.0
// Turns what a user typed as a copy / encrypt / sign target (`oci:/path/layout:tag`,
// `127.0.0.1:5000/a/b:t`) into an ImageDestination.
#pragma once

#include <memory>
#include <string_view>

#include "image/image_destination.h"
#include "image/open_source.h"

namespace cocoon::image {

// "oci:DIR[:TAG]" opens (or creates) an OCI image layout for writing (TAG defaults to
// "latest"; see openOciLayoutDestination); anything else is an image reference pushed to
// its registry (see openRegistryDestination). putManifest("") on the result writes the
// manifest under that TAG, or under the reference's tag or digest.
// `options` as for openImageSource: registries_conf (insecure and blocked registries),
// auth_file (push credentials) and ca_bundle.
// Errors: kInvalidArgument for an empty layout directory or a bad reference or tag; those
// of openOciLayoutDestination and openRegistryDestination.
Result<std::unique_ptr<ImageDestination>> openImageDestination(std::string_view text,
                                                               const SourceOptions& options);

}  // namespace cocoon::image
