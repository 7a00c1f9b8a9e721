// SPDX-License-Identifier: Apache-2.0
// Fuzzes the registry-facing JSON parsers of image/oci: manifests and indexes (under each
// Content-Type the registry might send), platform selection on what parsed, and the image
// config with its diff_ids check. The first byte picks the Content-Type.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "image/oci/image_config.h"
#include "image/oci/manifest.h"

namespace {

using cocoon::Code;
namespace oci = cocoon::image::oci;

constexpr std::array<std::string_view, 6> kContentTypes = {
    "",
    "application/json",
    oci::kOciManifest,
    oci::kOciIndex,
    oci::kDockerManifest,
    "application/vnd.docker.distribution.manifest.v1+prettyjws"};

void expectKnownCode(const cocoon::Error& e) {
  if (e.code != Code::kInvalidArgument && e.code != Code::kUnimplemented &&
      e.code != Code::kResourceExhausted) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view content_type = kContentTypes[data[0] % kContentTypes.size()];
  const cocoon::ByteSpan body(data + 1, size - 1);
  auto doc = oci::parseManifest(body, content_type);
  if (!doc) {
    expectKnownCode(doc.error());
  } else if (const auto* index = std::get_if<oci::ImageIndex>(&*doc)) {
    auto chosen = oci::selectManifest(*index, oci::hostPlatform());
    if (!chosen && chosen.error().code != Code::kNotFound) {
      std::abort();
    }
  } else {
    for (const oci::Layer& layer : std::get<oci::ImageManifest>(*doc).layers) {
      if (layer.descriptor.size < 0 || layer.descriptor.size > oci::kMaxDescriptorSize) {
        std::abort();
      }
    }
  }
  auto config = oci::parseImageConfig(body);
  if (!config) {
    expectKnownCode(config.error());
  } else if (doc && std::holds_alternative<oci::ImageManifest>(*doc)) {
    (void)oci::checkDiffIds(*config, std::get<oci::ImageManifest>(*doc));
  }
  return 0;
}
