// SPDX-License-Identifier: Apache-2.0
// Manifest and index parsing, type detection and platform selection.
#include "image/oci/manifest.h"

#include <algorithm>
#include <cctype>

#include "image/oci/internal/json_fields.h"
#include "json/json.h"

namespace cocoon::image::oci {
namespace {

using json::Json;

constexpr std::size_t kMaxListedPlatforms = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The Content-Type's media type, lower-cased, or "" when it says nothing about manifests.
std::string contentTypeMediaType(std::string_view content_type) {
  std::string type(trim(content_type.substr(0, content_type.find(';'))));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type == "application/json" || type == "text/plain" || type == "application/octet-stream") {
    return {};
  }
  return type;
}

Result<Platform> parsePlatformObject(const Json& object) {
  Platform p;
  COCOON_ASSIGN_OR_RETURN(p.architecture, json::getString(object, "architecture"));
  COCOON_ASSIGN_OR_RETURN(p.os, json::getString(object, "os"));
  COCOON_ASSIGN_OR_RETURN(p.variant, internal::optionalString(object, "variant"));
  COCOON_ASSIGN_OR_RETURN(p.os_version, internal::optionalString(object, "os.version"));
  COCOON_ASSIGN_OR_RETURN(p.os_features, internal::optionalStringArray(object, "os.features"));
  return p;
}

Result<Descriptor> parseDescriptor(const Json& object) {
  if (!object.is_object()) {
    return fail(Code::kInvalidArgument, "descriptor: expected object, found {}",
                object.type_name());
  }
  Descriptor d;
  COCOON_ASSIGN_OR_RETURN(d.media_type, json::getString(object, "mediaType"));
  COCOON_ASSIGN_OR_RETURN(const std::string digest, json::getString(object, "digest"));
  COCOON_ASSIGN_OR_RETURN(d.digest, withContext(parseDigest(digest), "field \"digest\""));
  COCOON_ASSIGN_OR_RETURN(d.size, json::getInt(object, "size"));
  if (d.size < 0 || d.size > kMaxDescriptorSize) {
    return fail(Code::kInvalidArgument, "field \"size\": {} is outside [0, 2^53]", d.size);
  }
  COCOON_ASSIGN_OR_RETURN(d.urls, internal::optionalStringArray(object, "urls"));
  COCOON_ASSIGN_OR_RETURN(d.annotations, internal::optionalStringMap(object, "annotations"));
  COCOON_ASSIGN_OR_RETURN(const Json* platform, internal::optionalObject(object, "platform"));
  if (platform != nullptr) {
    COCOON_ASSIGN_OR_RETURN(Platform p, withContext(parsePlatformObject(*platform), "platform"));
    d.platform = std::move(p);
  }
  return d;
}

// Each element of the array `key` through parseDescriptor, errors naming "key[i]".
Result<std::vector<Descriptor>> parseDescriptorArray(const Json& doc, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* array, json::getArray(doc, key));
  std::vector<Descriptor> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(
        Descriptor d, withContext(parseDescriptor((*array)[i]), fmt::format("{}[{}]", key, i)));
    out.push_back(std::move(d));
  }
  return out;
}

Result<ImageIndex> parseIndexBody(const Json& doc, ManifestKind kind) {
  // CVE-2021-41190: a document that reads as both an index and a manifest could be taken
  // for different things by different readers of the same digest.
  if (doc.contains("config") || doc.contains("layers")) {
    return fail(Code::kInvalidArgument, "{} has \"config\" or \"layers\" (ambiguous document)",
                mediaTypeOf(kind));
  }
  ImageIndex index;
  index.kind = kind;
  COCOON_ASSIGN_OR_RETURN(index.manifests, parseDescriptorArray(doc, "manifests"));
  COCOON_ASSIGN_OR_RETURN(index.annotations, internal::optionalStringMap(doc, "annotations"));
  return index;
}

Result<ImageManifest> parseManifestBody(const Json& doc, ManifestKind kind) {
  if (doc.contains("manifests")) {
    return fail(Code::kInvalidArgument, "{} has \"manifests\" (ambiguous document)",
                mediaTypeOf(kind));
  }
  ImageManifest m;
  m.kind = kind;
  COCOON_ASSIGN_OR_RETURN(const Json* config, json::getObject(doc, "config"));
  COCOON_ASSIGN_OR_RETURN(m.config, withContext(parseDescriptor(*config), "config"));
  if (!isImageConfigMediaType(m.config.media_type)) {
    return fail(Code::kInvalidArgument, "config media type {:?} is not an image config",
                std::string_view(m.config.media_type).substr(0, 128));
  }
  COCOON_ASSIGN_OR_RETURN(std::vector<Descriptor> layers, parseDescriptorArray(doc, "layers"));
  m.layers.reserve(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(
        LayerMediaType type,
        withContext(parseLayerMediaType(layers[i].media_type), fmt::format("layers[{}]", i)));
    m.layers.push_back(Layer{std::move(layers[i]), type});
  }
  COCOON_ASSIGN_OR_RETURN(m.annotations, internal::optionalStringMap(doc, "annotations"));
  COCOON_ASSIGN_OR_RETURN(const Json* subject, internal::optionalObject(doc, "subject"));
  if (subject != nullptr) {
    COCOON_ASSIGN_OR_RETURN(Descriptor s, withContext(parseDescriptor(*subject), "subject"));
    m.subject = std::move(s);
  }
  return m;
}

// The manifest kind from the body's mediaType, the Content-Type, or the body's shape.
Result<ManifestKind> detectKind(const Json& doc, std::string_view content_type) {
  const std::string header_type = contentTypeMediaType(content_type);
  std::optional<ManifestKind> header_kind;
  if (!header_type.empty()) {
    COCOON_ASSIGN_OR_RETURN(header_kind,
                            withContext(parseManifestKind(header_type), "Content-Type"));
  }
  COCOON_ASSIGN_OR_RETURN(const std::string* field, json::getOptionalString(doc, "mediaType"));
  if (field != nullptr) {
    COCOON_ASSIGN_OR_RETURN(ManifestKind kind,
                            withContext(parseManifestKind(*field), "field \"mediaType\""));
    if (header_kind && *header_kind != kind) {
      return fail(Code::kInvalidArgument, "mediaType {} disagrees with Content-Type {}",
                  mediaTypeOf(kind), mediaTypeOf(*header_kind));
    }
    return kind;
  }
  if (header_kind) {
    return *header_kind;
  }
  if (doc.contains("manifests")) {
    return ManifestKind::kOciImageIndex;
  }
  if (doc.contains("config")) {
    return ManifestKind::kOciImageManifest;
  }
  return fail(Code::kInvalidArgument,
              "manifest has no mediaType, no Content-Type, and neither \"manifests\" nor "
              "\"config\"");
}

}  // namespace

Result<ManifestDocument> parseManifest(ByteSpan body, std::string_view content_type,
                                       const ManifestLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return fail(Code::kResourceExhausted, "manifest is {} bytes, over the limit of {}", body.size(),
                limits.max_bytes);
  }
  COCOON_ASSIGN_OR_RETURN(const Json doc,
                          json::parseJson(toString(body), {.max_bytes = limits.max_bytes}));
  if (!doc.is_object()) {
    return fail(Code::kInvalidArgument, "manifest: expected a JSON object, found {}",
                doc.type_name());
  }
  COCOON_ASSIGN_OR_RETURN(const std::int64_t schema_version, json::getInt(doc, "schemaVersion"));
  if (schema_version == 1) {
    return fail(Code::kUnimplemented,
                "Docker image manifest schema 1 is not supported: re-push the image with a "
                "current tool");
  }
  if (schema_version != 2) {
    return fail(Code::kInvalidArgument, "schemaVersion is {}, expected 2", schema_version);
  }
  COCOON_ASSIGN_OR_RETURN(const ManifestKind kind, detectKind(doc, content_type));
  if (isIndexKind(kind)) {
    return parseIndexBody(doc, kind);
  }
  return parseManifestBody(doc, kind);
}

Result<ImageManifest> parseImageManifest(ByteSpan body, std::string_view content_type,
                                         const ManifestLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(ManifestDocument doc, parseManifest(body, content_type, limits));
  if (auto* manifest = std::get_if<ImageManifest>(&doc)) {
    return std::move(*manifest);
  }
  return fail(Code::kInvalidArgument, "expected an image manifest, found an image index");
}

Result<Descriptor> selectManifest(const ImageIndex& index, const Platform& wanted) {
  const Descriptor* best = nullptr;
  int best_score = 0;
  std::vector<std::string> available;
  for (const Descriptor& d : index.manifests) {
    if (d.media_type != kOciManifest && d.media_type != kDockerManifest) {
      continue;
    }
    // Below every real match (platformMatchScore >= 1 when it matches at all).
    int score = 0;
    if (d.platform) {
      score = 2 * platformMatchScore(wanted, *d.platform);
      if (available.size() < kMaxListedPlatforms) {
        available.push_back(d.platform->toString());
      }
    } else {
      score = 1;
    }
    if (score > best_score) {
      best = &d;
      best_score = score;
    }
  }
  if (best == nullptr) {
    return fail(
        Code::kNotFound, "no image for {} in the index; available: {}",
        normalizePlatform(wanted).toString(),
        available.empty() ? std::string("none") : fmt::format("{}", fmt::join(available, ", ")));
  }
  return *best;
}

}  // namespace cocoon::image::oci
