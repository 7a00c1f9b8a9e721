// SPDX-License-Identifier: Apache-2.0
// User input -> ImageDestination.
#include "image/open_destination.h"

#include "image/oci_layout_destination.h"
#include "image/registry_destination.h"

namespace cocoon::image {
namespace {

constexpr std::string_view kOciPrefix = "oci:";

}  // namespace

Result<std::unique_ptr<ImageDestination>> openImageDestination(std::string_view text,
                                                               const SourceOptions& options) {
  if (text.starts_with(kOciPrefix)) {
    const std::string_view spec = text.substr(kOciPrefix.size());
    std::string_view dir = spec;
    std::string_view tag = oci::kDefaultTag;
    // As in openImageSource: the last ':' separates a tag unless a '/' follows it.
    const std::size_t colon = spec.rfind(':');
    if (colon != std::string_view::npos && spec.find('/', colon) == std::string_view::npos) {
      dir = spec.substr(0, colon);
      tag = spec.substr(colon + 1);
    }
    if (dir.empty()) {
      return fail(Code::kInvalidArgument, "oci:{}: no layout directory", spec);
    }
    return openOciLayoutDestination(std::string(dir), std::string(tag));
  }
  COCOON_ASSIGN_OR_RETURN(oci::Reference ref, oci::parseReference(text));
  return openRegistryDestination(ref, options);
}

}  // namespace cocoon::image
