// SPDX-License-Identifier: Apache-2.0
// Hostile-tar extraction of one uncompressed image layer into a directory (issue #3).
//
// Trust: the layer tar comes from a registry the guest does not trust (ARCHITECTURE.md);
// its digest may have been checked, but its content is still hostile. No entry may write
// outside the target directory, whatever names, links and symlinks it combines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::unpack {

// How a layer's entries land in the target directory.
enum class UnpackMode : std::uint8_t {
  // Extract into a NEW directory that becomes one overlayfs lower layer. OCI whiteouts are
  // translated as containerd's overlay snapshotter does: `.wh.NAME` becomes a 0/0
  // character device NAME, `.wh..wh..opq` becomes the xattr trusted.overlay.opaque="y" on
  // its directory. Atomic: the layer appears complete under `dir` or not at all.
  kOverlayLayer,
  // Apply the layer onto an existing rootfs tree (`--flatten`), as containerd's naive
  // applier and umoci do: `.wh.NAME` deletes NAME (recursively), `.wh..wh..opq` deletes
  // what lower layers put in its directory but keeps what this layer adds (before or after
  // the marker), a directory over a directory merges, anything else replaces.
  // NOT atomic: a failure leaves the tree partly changed. The caller owns atomicity, e.g.
  // by applying every layer of an image into a temp root it renames or removes at the end.
  // Keeps the layer's paths in memory (for opaque markers): O(entries) bytes.
  kApplyOnto,
};

struct UnpackTarget {
  UnpackMode mode = UnpackMode::kOverlayLayer;
  // kOverlayLayer: the directory to create; it must not exist, its parent must.
  // kApplyOnto: the existing root of the tree.
  std::filesystem::path dir;
  // Names the layer in every error message, e.g. its diff_id "sha256:ab12…".
  std::string label;
};

// What to do with an entry or attribute the process may not be able to create.
enum class Unsupported : std::uint8_t { kFail, kSkip };

// Owners from the archive: kPreserve applies them (mapped, see below) when privileged,
// kIgnore leaves every entry owned by the extracting process.
enum class OwnerPolicy : std::uint8_t { kPreserve, kIgnore };

// One range of an id map, as in /proc/PID/uid_map: archive ids [archive_id,
// archive_id + count) become [host_id, host_id + count).
struct IdMapping {
  std::uint32_t archive_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t count = 0;
};

struct UnpackOptions {
  // Limits; exceeding one fails with kResourceExhausted naming the entry.
  std::uint64_t max_entries = 1'000'000;
  // Bytes of an entry's name or link target as stored in the archive.
  std::size_t max_path_length = 4096;
  // Sum of the sizes of the layer's regular files (apparent sizes, holes included).
  std::uint64_t max_total_bytes = 64ULL << 30;
  // Bytes of one extended attribute's value (Linux refuses more than 64 KiB anyway).
  std::size_t max_xattr_size = 64 * 1024;

  // Privileged extraction (owners, device nodes, trusted.* xattrs). Unset: geteuid() == 0.
  std::optional<bool> privileged;
  // Character and block devices when unprivileged (fifos are always created).
  Unsupported devices_when_unprivileged = Unsupported::kFail;
  // Extended attributes outside security.capability, user.* and trusted.* (trusted.*
  // needs privilege and is otherwise skipped). trusted.overlay.* is always dropped: only
  // the whiteout translation may mark overlayfs metadata.
  Unsupported other_xattrs = Unsupported::kSkip;

  OwnerPolicy owners = OwnerPolicy::kPreserve;
  // Empty: ids are used as stored. Otherwise an id outside every range fails the layer.
  std::vector<IdMapping> uid_map;
  std::vector<IdMapping> gid_map;

  // Tests only: resolve paths with the O_NOFOLLOW walk even where openat2 exists.
  bool force_walk_resolver_for_test = false;
};

struct LayerStats {
  std::uint64_t entries = 0;    // headers read, whiteouts and skipped ones included
  std::uint64_t bytes = 0;      // regular-file bytes (apparent sizes)
  std::uint64_t whiteouts = 0;  // `.wh.NAME` and opaque markers
  std::uint64_t hardlinks = 0;
  std::uint64_t skipped = 0;         // entries not created (devices per option, aufs meta)
  std::uint64_t skipped_xattrs = 0;  // attributes not applied per policy

  bool operator==(const LayerStats&) const = default;
};

// Reads the uncompressed tar stream `tar` to its end and extracts it per `target.mode`.
// Every path is resolved inside the target root (openat2 RESOLVE_IN_ROOT, or an O_NOFOLLOW
// walk on kernels without it): a leading '/' is stripped and symlinks met on the way
// resolve as if the root were '/', as containerd does; a `..` that would climb above the
// root is refused. Symlink targets are stored as they are and never followed when we write.
// Directory modes and all mtimes are applied after the content, as tar does.
// Archives that end without the two zero blocks are accepted (as containerd does).
//
// Every error message starts "layer <label>: entry '<name>': " (names escaped and
// shortened). Errors:
//   kInvalidArgument   not a tar stream, damaged header, a name escaping the root, a
//                      hardlink whose target is outside the root or not yet extracted, an
//                      entry the target cannot hold (e.g. a directory over a file path),
//                      a uid/gid outside the id map.
//   kDataLoss          the stream ends inside an entry or header.
//   kResourceExhausted a limit of `opts` exceeded, or disk/inode/fd exhaustion.
//   kAlreadyExists     kOverlayLayer and `target.dir` already exists.
//   kNotFound          kOverlayLayer and the parent of `target.dir` is missing;
//                      kApplyOnto and `target.dir` is missing.
//   kPermissionDenied  the process may not create an entry: a device when unprivileged
//                      with kFail, or (kOverlayLayer, unprivileged) a whiteout device or
//                      the trusted.overlay.opaque xattr.
//   kUnimplemented     an xattr refused by other_xattrs = kFail.
//   kAborted           a directory being removed moved under us (concurrent writer).
//   any code of `tar`  its read error, unchanged (e.g. kDataLoss for a digest mismatch).
//   kInternal          other I/O errors.
// In kOverlayLayer nothing is left behind on failure (the partial directory
// `<dir>.partial-<random>` is removed); see UnpackMode for kApplyOnto.
// Not thread-safe with respect to `tar`; distinct calls with distinct targets may run
// concurrently.
Result<LayerStats> unpackLayer(layer::ByteSource& tar, const UnpackTarget& target,
                               const UnpackOptions& opts);

}  // namespace cocoon::image::unpack
