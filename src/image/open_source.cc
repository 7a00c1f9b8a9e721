// SPDX-License-Identifier: Apache-2.0
// User input -> ImageSource + reference.
#include "image/open_source.h"

#include "image/oci_layout_source.h"
#include "image/registry_source.h"

namespace cocoon::image {
namespace {

constexpr std::string_view kOciPrefix = "oci:";

Result<OpenedSource> openLayout(std::string_view spec) {
  std::string_view dir = spec;
  std::string_view tag = "latest";
  auto colon = spec.rfind(':');
  if (colon != std::string_view::npos && spec.find('/', colon) == std::string_view::npos) {
    dir = spec.substr(0, colon);
    tag = spec.substr(colon + 1);
  }
  if (dir.empty()) {
    return fail(Code::kInvalidArgument, "oci:{}: no layout directory", spec);
  }
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> source, openOciLayout(std::string(dir)));
  std::string name = std::filesystem::path(dir).lexically_normal().filename().string();
  if (name.empty()) {
    name = "layout";
  }
  // The record name of a layout image; lower-cased to satisfy the reference grammar.
  for (auto& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '-';
    }
  }
  COCOON_ASSIGN_OR_RETURN(oci::Reference ref,
                          oci::parseReference(fmt::format("localhost/{}:{}", name, tag)));
  return OpenedSource{std::move(source), std::move(ref)};
}

}  // namespace

Result<OpenedSource> openImageSource(std::string_view text, const SourceOptions& options) {
  if (text.starts_with(kOciPrefix)) {
    return openLayout(text.substr(kOciPrefix.size()));
  }
  COCOON_ASSIGN_OR_RETURN(oci::Reference ref, oci::parseReference(text));
  COCOON_ASSIGN_OR_RETURN(OpenedRegistry opened, openRegistrySource(ref, options));
  return OpenedSource{std::move(opened.source), std::move(opened.reference)};
}

}  // namespace cocoon::image
