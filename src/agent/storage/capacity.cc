// SPDX-License-Identifier: Apache-2.0
// Free-space checks of the agent's store before a guest pull.
#include "agent/storage/capacity.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "common/sys_error.h"

namespace cocoon::agent::storage {

Result<std::uint64_t> freeBytes(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return fail(errnoError(errno, "statvfs " + dir.string()));
  }
  return std::uint64_t{st.f_bavail} * std::uint64_t{st.f_frsize};
}

std::uint64_t missingLayerBytes(const image::ResolvedImage& image, const image::LayerStore& store) {
  std::uint64_t total = 0;
  const auto& layers = image.manifest.layers;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    // resolveImage checked that diff_ids and layers pair up one to one.
    if (i < image.config.diff_ids.size() && store.hasLayer(image.config.diff_ids[i])) {
      continue;
    }
    total += static_cast<std::uint64_t>(layers[i].descriptor.size);
  }
  return total;
}

Status checkFits(std::string_view what, std::uint64_t needed, std::uint64_t free,
                 const std::filesystem::path& dir) {
  if (needed > free) {
    return fail(Code::kResourceExhausted, "{} needs at least {} bytes in {} but only {} are free",
                what, needed, dir.string(), free);
  }
  return okStatus();
}

Status checkImageFits(image::ImageSource& source, const image::oci::Reference& ref,
                      const image::LayerStore& store, const std::filesystem::path& dir) {
  COCOON_ASSIGN_OR_RETURN(image::ResolvedImage resolved,
                          image::resolveImage(source, ref, image::oci::hostPlatform()));
  COCOON_ASSIGN_OR_RETURN(std::uint64_t free, freeBytes(dir));
  const std::uint64_t needed = missingLayerBytes(resolved, store);
  return checkFits(fmt::format("image {} ({} layers, compressed size; unpacked they take more)",
                               ref.toString(), resolved.manifest.layers.size()),
                   needed, free, dir);
}

}  // namespace cocoon::agent::storage
