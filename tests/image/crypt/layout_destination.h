// SPDX-License-Identifier: Apache-2.0
// A minimal OCI image layout writer behind ImageDestination, for the encrypt tests (the
// project's own destinations come with image/open_destination.h).
#pragma once

#include <filesystem>
#include <memory>

#include "image/image_destination.h"

namespace cocoon::image::test {

// Writes blobs/<alg>/<hex>, oci-layout and index.json (one entry per tag, replaced on
// rewrite) under `root`, creating it. Checks each blob's digest and size while writing.
std::unique_ptr<ImageDestination> makeLayoutDestination(const std::filesystem::path& root);

}  // namespace cocoon::image::test
