// SPDX-License-Identifier: Apache-2.0
// Whether an image fits the agent's store before a guest pull writes anything: without a
// scratch disk the store is the guest's tmpfs, and filling it would eat guest RAM.
// Trust: the sizes come from the registry's manifest (digest-checked, but chosen by whoever
// pushed the image); they only decide whether a pull starts, never how much is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/result.h"
#include "image/image_source.h"
#include "image/layer_store.h"
#include "image/oci/reference.h"
#include "image/puller.h"

namespace cocoon::agent::storage {

// Bytes the file system holding `dir` has free for an unprivileged writer (statvfs f_bavail
// times f_frsize). Errors: those of statvfs(2) naming `dir` (kNotFound when it is missing).
Result<std::uint64_t> freeBytes(const std::filesystem::path& dir);

// The compressed size of the layers of `image` that `store` does not hold yet. Layers are
// unpacked as they stream in (no compressed copy is kept), so this is a lower bound of what
// the pull writes: an image records no uncompressed sizes.
std::uint64_t missingLayerBytes(const image::ResolvedImage& image, const image::LayerStore& store);

// OK when `needed` <= `free`; else kResourceExhausted "<what> needs at least <needed> bytes
// in <dir> but only <free> are free".
Status checkFits(std::string_view what, std::uint64_t needed, std::uint64_t free,
                 const std::filesystem::path& dir);

// Resolves `ref` on `source` (manifest and config only, no layer) and checks that the layers
// missing from `store` fit the free space of `dir`.
// Errors: those of resolveImage and freeBytes; kResourceExhausted from checkFits, naming the
// image, its layer count and both sizes.
Status checkImageFits(image::ImageSource& source, const image::oci::Reference& ref,
                      const image::LayerStore& store, const std::filesystem::path& dir);

}  // namespace cocoon::agent::storage
