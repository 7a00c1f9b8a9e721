// SPDX-License-Identifier: Apache-2.0
// Media type classification for manifests and layers.
#include "image/oci/media_types.h"

#include <array>

namespace cocoon::image::oci {
namespace {

struct KnownLayer {
  std::string_view media_type;
  LayerMediaType info;
};

constexpr std::array kLayerTypes = {
    KnownLayer{kOciLayerTar, {Compression::kNone, false, false}},
    KnownLayer{kOciLayerGzip, {Compression::kGzip, false, false}},
    KnownLayer{kOciLayerZstd, {Compression::kZstd, false, false}},
    KnownLayer{kOciLayerNondistributableTar, {Compression::kNone, false, true}},
    KnownLayer{kOciLayerNondistributableGzip, {Compression::kGzip, false, true}},
    KnownLayer{kOciLayerNondistributableZstd, {Compression::kZstd, false, true}},
    KnownLayer{kDockerLayerTar, {Compression::kNone, false, false}},
    KnownLayer{kDockerLayerGzip, {Compression::kGzip, false, false}},
    KnownLayer{kDockerLayerZstd, {Compression::kZstd, false, false}},
    KnownLayer{kDockerForeignLayerTar, {Compression::kNone, false, true}},
    KnownLayer{kDockerForeignLayerGzip, {Compression::kGzip, false, true}},
};

constexpr std::array kManifestKinds = {ManifestKind::kOciImageIndex, ManifestKind::kDockerList,
                                       ManifestKind::kOciImageManifest,
                                       ManifestKind::kDockerSchema2};

}  // namespace

std::string_view mediaTypeOf(ManifestKind kind) {
  switch (kind) {
    case ManifestKind::kOciImageIndex:
      return kOciIndex;
    case ManifestKind::kDockerList:
      return kDockerManifestList;
    case ManifestKind::kOciImageManifest:
      return kOciManifest;
    case ManifestKind::kDockerSchema2:
      return kDockerManifest;
  }
  return "unknown";
}

Result<ManifestKind> parseManifestKind(std::string_view media_type) {
  for (ManifestKind kind : kManifestKinds) {
    if (media_type == mediaTypeOf(kind)) {
      return kind;
    }
  }
  if (media_type == kDockerSchema1Manifest || media_type == kDockerSchema1SignedManifest) {
    return fail(Code::kUnimplemented,
                "Docker image manifest schema 1 ({}) is not supported: re-push the image with "
                "a current tool",
                media_type);
  }
  return fail(Code::kInvalidArgument, "unsupported manifest media type {:?}",
              media_type.substr(0, 128));
}

bool isIndexKind(ManifestKind kind) {
  return kind == ManifestKind::kOciImageIndex || kind == ManifestKind::kDockerList;
}

Result<LayerMediaType> parseLayerMediaType(std::string_view media_type) {
  std::string_view plain = media_type;
  const bool encrypted = plain.ends_with(kEncryptedSuffix);
  if (encrypted) {
    plain.remove_suffix(kEncryptedSuffix.size());
  }
  for (const KnownLayer& known : kLayerTypes) {
    if (plain == known.media_type) {
      LayerMediaType info = known.info;
      info.encrypted = encrypted;
      return info;
    }
  }
  return fail(Code::kInvalidArgument, "unknown layer media type {:?}", media_type.substr(0, 128));
}

bool isImageConfigMediaType(std::string_view media_type) {
  return media_type == kOciConfig || media_type == kDockerConfig;
}

}  // namespace cocoon::image::oci
