// SPDX-License-Identifier: Apache-2.0
// Media types of OCI image-spec and Docker image manifest v2 schema 2 objects, and what a
// layer's media type says about its encoding (compression, ocicrypt encryption).
// Trust: media types come from registries (untrusted); classification is by exact match.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace cocoon::image::oci {

// image-spec media-types.md.
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistributableTar =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

// Docker image manifest v2 schema 2 (distribution manifest-v2-2.md) and the layer types
// containerd also accepts (images/mediatypes.go).
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerZstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr std::string_view kDockerForeignLayerTar =
    "application/vnd.docker.image.rootfs.foreign.diff.tar";
inline constexpr std::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// Docker schema 1 (signed and unsigned): recognised only to be refused clearly.
inline constexpr std::string_view kDockerSchema1Manifest =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1SignedManifest =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// ocicrypt (containers/ocicrypt spec): an encrypted layer's type is the plain type + this.
inline constexpr std::string_view kEncryptedSuffix = "+encrypted";

// The kinds of manifest documents this package parses.
// (Enumerators are named apart from the media type constants above: g++ -Wshadow.)
enum class ManifestKind : std::uint8_t {
  kOciImageIndex,
  kDockerList,
  kOciImageManifest,
  kDockerSchema2,
};

// The media type string of a kind.
std::string_view mediaTypeOf(ManifestKind kind);

// The kind of manifest media type `media_type` (parameters such as "; charset=utf-8" are
// not accepted here; strip them first). Errors: kUnimplemented for the Docker schema 1
// types ("schema 1 is not supported: re-push the image with a current tool"),
// kInvalidArgument naming any other type.
Result<ManifestKind> parseManifestKind(std::string_view media_type);

// True for an image index or Docker manifest list.
bool isIndexKind(ManifestKind kind);

enum class Compression : std::uint8_t { kNone, kGzip, kZstd };

// What a layer's media type says about how to unpack it.
struct LayerMediaType {
  Compression compression = Compression::kNone;
  // ocicrypt "+encrypted": the blob must be decrypted before it is decompressed.
  bool encrypted = false;
  // Foreign (Docker) / non-distributable (OCI) layers: registries may refuse to serve
  // them and give `urls` instead.
  bool non_distributable = false;
};

// Classifies a layer media type: any OCI or Docker layer type above, optionally with the
// ocicrypt suffix. Errors: kInvalidArgument "unknown layer media type \"<type>\"".
Result<LayerMediaType> parseLayerMediaType(std::string_view media_type);

// True for kOciConfig and kDockerConfig.
bool isImageConfigMediaType(std::string_view media_type);

}  // namespace cocoon::image::oci
