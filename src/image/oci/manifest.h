// SPDX-License-Identifier: Apache-2.0
// Image manifests: OCI image index / Docker manifest list and OCI image manifest / Docker
// image manifest v2 schema 2 (image-spec manifest.md, image-index.md, descriptor.md;
// distribution manifest-v2-2.md), and choosing an index entry for a platform.
// Trust: manifests come from registries (untrusted until their digest is checked, and
// even then written by whoever pushed the image): sizes are capped before parsing, every
// descriptor field is type- and range-checked, and ambiguous documents are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/digest.h"
#include "image/oci/media_types.h"
#include "image/oci/platform.h"

namespace cocoon::image::oci {

// Descriptor sizes are JSON numbers; beyond 2^53 they are not exact in every reader.
inline constexpr std::int64_t kMaxDescriptorSize = std::int64_t{1} << 53;

// image-spec descriptor.md.
struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;  // 0 <= size <= kMaxDescriptorSize
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // index entries only
  bool operator==(const Descriptor&) const = default;
};

// A layer of an image manifest and how its blob is encoded.
struct Layer {
  Descriptor descriptor;
  LayerMediaType type;
};

// An OCI image index or a Docker manifest list.
struct ImageIndex {
  ManifestKind kind = ManifestKind::kOciImageIndex;
  // Entries of any media type (images, nested indexes, artifacts) in document order.
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// An OCI image manifest or a Docker schema 2 manifest.
struct ImageManifest {
  ManifestKind kind = ManifestKind::kOciImageManifest;
  Descriptor config;  // media type kOciConfig or kDockerConfig
  std::vector<Layer> layers;
  std::map<std::string, std::string> annotations;
  std::optional<Descriptor> subject;  // image-spec v1.1 referrers
};

using ManifestDocument = std::variant<ImageIndex, ImageManifest>;

struct ManifestLimits {
  // distribution's and containerd's manifest limit.
  std::size_t max_bytes = std::size_t{4} << 20;
};

// Parses a manifest or index exactly as fetched. `content_type` is the registry's
// Content-Type header ("" when there was none); parameters after ';' are ignored, and the
// generic types application/json, text/plain and application/octet-stream count as none.
// The type is the body's "mediaType" when present, else the Content-Type, else guessed
// from the body's shape ("manifests" -> OCI index, "config" -> OCI manifest), as
// containers/image does for early OCI documents without mediaType.
// Errors:
// - kResourceExhausted: body larger than limits.max_bytes (or nested over 64 levels);
// - kUnimplemented: Docker schema 1 ("schemaVersion": 1 or a v1 media type), with a
//   message saying it is not supported and to re-push the image with a current tool;
// - kInvalidArgument: malformed JSON, schemaVersion other than 2, an unknown manifest
//   media type, "mediaType" that disagrees with the Content-Type, a document that has both
//   index and manifest fields (CVE-2021-41190), a descriptor with a missing or mistyped
//   field, a bad digest, a size outside [0, 2^53], a config that is not an image config,
//   or an unknown layer media type (messages name the field, e.g. "layers[2].digest").
Result<ManifestDocument> parseManifest(ByteSpan body, std::string_view content_type,
                                       const ManifestLimits& limits = {});

// parseManifest, then requires an image manifest (kInvalidArgument for an index).
Result<ImageManifest> parseImageManifest(ByteSpan body, std::string_view content_type,
                                         const ManifestLimits& limits = {});

// The index entry to pull for `wanted`: among entries whose media type is an image
// manifest (OCI or Docker schema 2), the best platformMatchScore; the first wins a tie.
// Entries without a platform match any platform, ranked below every real match. Nested
// indexes and artifacts are skipped.
// Errors: kNotFound "no image for <wanted> in the index; available: <platforms>".
Result<Descriptor> selectManifest(const ImageIndex& index, const Platform& wanted);

}  // namespace cocoon::image::oci
