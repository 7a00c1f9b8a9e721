// SPDX-License-Identifier: Apache-2.0
// An ImageSource over an OCI image layout directory (image-spec image-layout.md), as
// `skopeo copy ... oci:DIR:TAG` and `umoci` write it: index.json + blobs/<alg>/<hex>.
//
// Trust: the layout's files are as untrusted as a registry's answers; the puller checks
// every blob against its digest. Paths are built only from parsed digests (hex), so no
// name from the layout can point outside blobs/.
#pragma once

#include <filesystem>
#include <memory>

#include "image/image_source.h"

namespace cocoon::image {

// Opens the layout at `dir`. Errors: kNotFound when dir/index.json or dir/oci-layout is
// missing; kInvalidArgument when index.json is malformed.
Result<std::unique_ptr<ImageSource>> openOciLayout(const std::filesystem::path& dir);

}  // namespace cocoon::image
