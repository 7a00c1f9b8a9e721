// SPDX-License-Identifier: Apache-2.0
// pullImage: fetches an image from an ImageSource, verifies every object against its
// digest, and streams each layer through digest -> decrypt -> decompress -> diff_id ->
// tar extraction into the layer store (or one flattened rootfs), then writes the OCI bundle.
//
// Trust: the source and the image are untrusted (ARCHITECTURE.md). Manifests are checked
// against the reference's digest or the index entry's, the config against the manifest,
// each blob against its descriptor, each uncompressed layer against its diff_id; nothing is
// used before its check passed (layers become visible in the store only after both).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/image_source.h"
#include "image/layer/decompress.h"
#include "image/layer/decrypt_hook.h"
#include "image/layer_store.h"
#include "image/oci/image_config.h"
#include "image/oci/manifest.h"
#include "image/oci/platform.h"
#include "image/oci/reference.h"
#include "image/unpack/unpack.h"
#include "json/json.h"

namespace cocoon::image {

enum class LayerState : std::uint8_t { kWaiting, kPulling, kDone, kReused, kFailed };
std::string_view layerStateName(LayerState state);

// Progress reports. Called from several threads at once: implementations synchronise.
class PullObserver {
 public:
  virtual ~PullObserver() = default;
  // Once, when the manifest and config are known (layers bottom first).
  virtual void onImage(const oci::Reference& ref, const oci::Digest& manifest_digest,
                       const oci::ImageManifest& manifest) = 0;
  // Layer `index` changed state or made progress (`bytes` compressed bytes so far).
  virtual void onLayer(std::size_t index, LayerState state, std::uint64_t bytes) = 0;
};

// Supplies a decrypt stage for an encrypted layer (image-trust issue #4).
class DecryptProvider {
 public:
  virtual ~DecryptProvider() = default;
  // Errors: kPermissionDenied when no key is available for this layer.
  virtual Result<std::unique_ptr<layer::DecryptHook>> forLayer(
      const oci::Descriptor& descriptor) = 0;
};

// The context pullImage adds to errors of options.policy, so callers can tell a policy
// refusal from an authentication failure with the same code.
inline constexpr std::string_view kPolicyErrorContext = "signature policy";

// Decides whether an image may be pulled: the signature policy (image-trust issue #4,
// image/trust/). Implementations are called from the pulling thread only.
class ImagePolicyCheck {
 public:
  virtual ~ImagePolicyCheck() = default;
  // Called once per pull, after the top-level manifest -- the one `ref` names, an index for
  // a multi-arch image, since that is what signers sign -- was fetched and checked against
  // ref's digest, and before any layer is fetched. `manifest_digest` is its digest and
  // `manifest` its exact bytes. `source` may be asked for signature attachments.
  // Errors: kPermissionDenied naming the scope and the requirement that refused the image;
  // any other error (an unreadable key, a transport failure) also fails the pull.
  virtual Status check(ImageSource& source, const oci::Reference& ref,
                       const oci::Digest& manifest_digest, ByteSpan manifest) const = 0;
};

// The room left where a pull writes its layers (issue #8: a guest without a scratch disk
// keeps its store on a tmpfs, and filling that eats guest RAM). Called from the pulling
// thread only, once per pull.
class SpaceBudget {
 public:
  virtual ~SpaceBudget() = default;
  // Bytes that may still be written there, measured when called. Any error fails the pull.
  virtual Result<std::uint64_t> available() const = 0;
  // Where that room is, for the error message (e.g. the store's directory).
  virtual std::string describe() const = 0;
};

struct PullOptions {
  oci::Platform platform = oci::hostPlatform();
  // The bundle directory: gets rootfs/ and config.json. Created if missing; must not
  // already hold a rootfs.
  std::filesystem::path dest;
  // One directory with whiteouts applied, instead of an overlayfs mount of store layers.
  bool flatten = false;
  // Layers pulled at once (overlay mode; flatten applies layers in order, one at a time).
  unsigned max_parallel_layers = 3;
  std::size_t pipe_bytes = 256 * 1024;  // per layer in flight
  oci::ManifestLimits manifest_limits;
  oci::ImageConfigLimits config_limits;
  layer::DecompressLimits decompress_limits;
  unpack::UnpackOptions unpack_options;
  PullObserver* observer = nullptr;    // optional
  DecryptProvider* decrypt = nullptr;  // optional; encrypted layers fail without it
  // Optional; when set, an image it refuses is not pulled (nothing is written to the store
  // or to dest).
  const ImagePolicyCheck* policy = nullptr;
  // Optional; when set, the compressed size of the layers this pull must fetch (those the
  // store lacks, counted once; every layer when flattening) is compared with
  // space_budget->available() once the manifest and config are verified and before any
  // layer is fetched. Layers unpack as they stream in and images record no uncompressed
  // size, so this is a lower bound of what the pull writes; a store that fills later still
  // fails the pull cleanly (kResourceExhausted, "No space left on device").
  const SpaceBudget* space_budget = nullptr;
};

struct PulledLayer {
  oci::Digest digest;   // blob digest
  oci::Digest diff_id;  // uncompressed digest
  std::int64_t size = 0;
  bool reused = false;  // already in the store
};

struct PullResult {
  std::string reference;
  oci::Digest manifest_digest;
  oci::Digest config_digest;
  oci::ImageConfig config;
  std::vector<PulledLayer> layers;
  std::filesystem::path rootfs;
  std::filesystem::path spec_path;
  bool mounted = false;  // rootfs is an overlayfs mount (unmount with unmountBundle)
  std::uint64_t bytes_downloaded = 0;
};

// Pulls `ref` from `source` into `store` and makes the bundle at options.dest.
// Errors carry the context of the step that failed (manifest, config, "layer 2/5 sha256:..",
// bundle); codes: those of options.policy (kPermissionDenied: refused by the signature
// policy), those of the source (kNotFound, kUnauthenticated, transport),
// kDataLoss (digest or size mismatch, truncated or corrupt layer), kInvalidArgument
// (malformed manifest/config, hostile tar entry), kUnimplemented (schema 1),
// kFailedPrecondition (encrypted layer without a DecryptProvider), kAlreadyExists (dest
// already holds a rootfs), kResourceExhausted (limits; the layers to fetch exceed
// options.space_budget: "image <ref> (<k> of <n> layers to fetch, compressed size; unpacked
// they take more) needs at least <bytes> bytes in <where> but only <free> are free"), and
// those of space_budget->available().
// On failure no partial layer is left in the store and no rootfs/config.json in dest, and
// dest itself is removed when this call created it.
Result<PullResult> pullImage(ImageSource& source, const oci::Reference& ref,
                             const LayerStore& store, const PullOptions& options);

// The manifest (for `platform`, through the index if there is one) and config of an image,
// each checked against its digest; no layer is fetched. Errors as pullImage's first steps.
struct ResolvedImage {
  // The manifest `ref` names (an index for a multi-arch image), exactly as fetched.
  oci::Digest top_digest;
  Bytes top_manifest;
  oci::Digest manifest_digest;
  oci::ImageManifest manifest;
  oci::Digest config_digest;
  oci::ImageConfig config;
};
Result<ResolvedImage> resolveImage(ImageSource& source, const oci::Reference& ref,
                                   const oci::Platform& platform,
                                   const oci::ManifestLimits& manifest_limits = {},
                                   const oci::ImageConfigLimits& config_limits = {});

// resolveImage as JSON for `cocoon image inspect`: reference, manifest digest and media
// type, layers (digest, size, media type, diff_id), and the config's run settings.
Result<json::Json> inspectImage(ImageSource& source, const oci::Reference& ref,
                                const oci::Platform& platform);

// Unmounts the overlayfs rootfs of a bundle made by pullImage (no-op when not mounted)
// and removes the bundle's rootfs/, config.json and overlay state.
Status removeBundle(const std::filesystem::path& dest);

}  // namespace cocoon::image
