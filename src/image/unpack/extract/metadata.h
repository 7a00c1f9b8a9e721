// SPDX-License-Identifier: Apache-2.0
// Owners, modes, extended attributes and times of extracted entries, applied by
// descriptor or relative to a parent descriptor (never by following a path).
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "image/unpack/tar/archive_reader.h"
#include "image/unpack/unpack.h"

namespace cocoon::image::unpack::extract {

// The policy of UnpackOptions resolved once per layer.
struct MetadataPolicy {
  const UnpackOptions* opts = nullptr;
  bool privileged = false;
};

// Where an entry lives: a descriptor of the entry itself (regular files, directories) or
// its parent and name (symlinks, devices, fifos).
struct EntryRef {
  int fd = -1;
  int parent_fd = -1;
  std::string name;
};

// Applies the owner (if privileged and OwnerPolicy::kPreserve, through the id maps).
// Errors: kInvalidArgument for an id outside a non-empty map; errno of chown otherwise.
Status applyOwner(const MetadataPolicy& policy, const EntryRef& ref, const tar::EntryHeader& h);

// Applies the permission bits (setuid/setgid/sticky included). Not for symlinks.
Status applyMode(const EntryRef& ref, mode_t perm);

// Applies the xattrs allowed by the policy (after applyOwner: chown clears
// security.capability). Returns how many were skipped by policy.
// Errors: kResourceExhausted for a value over max_xattr_size; kUnimplemented for a name
// refused by Unsupported::kFail; errno of setxattr otherwise.
Result<std::uint64_t> applyXattrs(const MetadataPolicy& policy, const EntryRef& ref,
                                  const tar::EntryHeader& h);

// Sets atime (mtime when the archive has none) and mtime; does nothing without an mtime.
Status applyTimes(const EntryRef& ref, const std::optional<struct timespec>& mtime,
                  const std::optional<struct timespec>& atime);

}  // namespace cocoon::image::unpack::extract
