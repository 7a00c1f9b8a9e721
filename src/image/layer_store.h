// SPDX-License-Identifier: Apache-2.0
// The content-addressed layer store shared by every pulled image: each layer is unpacked
// once, under its diff_id, and kept while some image record references it.
//
// Layout (all under the store root, mode 0700):
//   layers/<algorithm>/<hex>/   one unpacked layer in overlayfs lower-layer form
//   images/<sha256 of name>.json  one record per pulled reference (which layers it uses)
//   lock                          flock: pulls hold it shared, gc exclusive
// Reference counts are not stored: gc derives them from the image records, so a crash can
// never leave a count wrong; at worst it leaves an unreferenced layer that the next gc
// removes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/oci/digest.h"

namespace cocoon::image {

// One pulled image: the reference it was pulled as and the layers it uses, bottom first.
struct ImageRecord {
  std::string reference;  // fully qualified, as oci::Reference::toString()
  oci::Digest manifest_digest;
  oci::Digest config_digest;
  std::vector<oci::Digest> diff_ids;
  std::int64_t size = 0;       // compressed bytes of all layers, as the manifest says
  std::int64_t pulled_at = 0;  // seconds since the epoch
};

struct GcStats {
  std::uint64_t layers_removed = 0;
  std::uint64_t layers_kept = 0;
  std::uint64_t partials_removed = 0;  // leftovers of interrupted unpacks
};

// The store. Several processes may use one store at once: pulls take the lock shared,
// gc exclusive. An object is not thread-safe by itself except layerPath/hasLayer.
class LayerStore {
 public:
  // COCOON_STORE when set; else /var/lib/cocoon/store for root; else
  // $XDG_DATA_HOME/cocoon/store (XDG_DATA_HOME defaulting to ~/.local/share).
  static std::filesystem::path defaultLocation();

  // Opens (creating if needed) the store at `root`.
  // Errors: errno-mapped codes naming the path (kPermissionDenied, ...).
  static Result<LayerStore> open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  // Where the layer with this diff_id lives (whether or not it exists yet).
  std::filesystem::path layerPath(const oci::Digest& diff_id) const;
  bool hasLayer(const oci::Digest& diff_id) const;
  // Creates layers/<algorithm>/ so an unpack can create the layer directory in it.
  Status prepareLayerParent(const oci::Digest& diff_id) const;

  // Takes the store lock shared (pull) or exclusive (gc), blocking; released when the
  // returned handle is destroyed. Errors: errno-mapped.
  Result<UniqueFd> lockShared() const;
  Result<UniqueFd> lockExclusive() const;

  // Writes (atomically replacing) the record of `record.reference`.
  Status putImage(const ImageRecord& record) const;
  // Every record, sorted by reference. A corrupt record fails with kDataLoss naming its file.
  Result<std::vector<ImageRecord>> listImages() const;
  // Removes the record of `reference`; kNotFound if there is none. Layers stay until gc.
  Status removeImage(const std::string& reference) const;

  // Removes every layer no record references and every leftover partial unpack.
  // Takes the lock exclusive for its duration.
  Result<GcStats> gc() const;

 private:
  explicit LayerStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path imagePath(const std::string& reference) const;
  std::filesystem::path root_;
};

}  // namespace cocoon::image
