// SPDX-License-Identifier: Apache-2.0
// Owner, mode, xattr and time application for extracted entries.
#include "image/unpack/extract/metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string_view>

#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::image::unpack::extract {
namespace {

std::optional<std::uint32_t> mapId(std::uint32_t id, const std::vector<IdMapping>& map) {
  if (map.empty()) {
    return id;
  }
  for (const IdMapping& m : map) {
    if (id >= m.archive_id && id - m.archive_id < m.count) {
      return m.host_id + (id - m.archive_id);
    }
  }
  return std::nullopt;
}

enum class XattrAction : std::uint8_t { kApply, kSkip, kFail };

XattrAction classify(const MetadataPolicy& policy, std::string_view name) {
  if (name.starts_with("trusted.overlay.")) {
    return XattrAction::kSkip;
  }
  if (name == "security.capability" || name.starts_with("user.")) {
    return XattrAction::kApply;
  }
  if (name.starts_with("trusted.")) {
    return policy.privileged ? XattrAction::kApply : XattrAction::kSkip;
  }
  return policy.opts->other_xattrs == Unsupported::kSkip ? XattrAction::kSkip : XattrAction::kFail;
}

}  // namespace

Status applyOwner(const MetadataPolicy& policy, const EntryRef& ref, const tar::EntryHeader& h) {
  if (!policy.privileged || policy.opts->owners == OwnerPolicy::kIgnore) {
    return okStatus();
  }
  const std::optional<std::uint32_t> uid = mapId(h.uid, policy.opts->uid_map);
  const std::optional<std::uint32_t> gid = mapId(h.gid, policy.opts->gid_map);
  if (!uid || !gid) {
    return fail(Code::kInvalidArgument, "owner {}:{} outside the id map", h.uid, h.gid);
  }
  const int rc = ref.fd >= 0
                     ? ::fchown(ref.fd, *uid, *gid)
                     : ::fchownat(ref.parent_fd, ref.name.c_str(), *uid, *gid, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) {
    return fail(errnoError(errno, "changing owner"));
  }
  return okStatus();
}

Status applyMode(const EntryRef& ref, mode_t perm) {
  const int rc =
      ref.fd >= 0 ? ::fchmod(ref.fd, perm) : ::fchmodat(ref.parent_fd, ref.name.c_str(), perm, 0);
  if (rc != 0) {
    return fail(errnoError(errno, "changing mode"));
  }
  return okStatus();
}

Result<std::uint64_t> applyXattrs(const MetadataPolicy& policy, const EntryRef& ref,
                                  const tar::EntryHeader& h) {
  std::uint64_t skipped = 0;
  UniqueFd path_fd;
  for (const auto& [name, value] : h.xattrs) {
    if (value.size() > policy.opts->max_xattr_size) {
      return fail(Code::kResourceExhausted, "xattr {} of {} bytes exceeds the limit of {}", name,
                  value.size(), policy.opts->max_xattr_size);
    }
    switch (classify(policy, name)) {
      case XattrAction::kSkip:
        ++skipped;
        continue;
      case XattrAction::kFail:
        return fail(Code::kUnimplemented, "xattr {} is not supported", name);
      case XattrAction::kApply:
        break;
    }
    int rc = 0;
    if (ref.fd >= 0) {
      rc = ::fsetxattr(ref.fd, name.c_str(), value.data(), value.size(), 0);
    } else {
      // No fd-based setxattr for symlinks and devices before Linux 6.13: go through the
      // O_PATH descriptor's /proc entry, which names the inode itself (not a path).
      if (!path_fd.valid()) {
        path_fd =
            UniqueFd(::openat(ref.parent_fd, ref.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!path_fd.valid()) {
          return fail(errnoError(errno, "opening the entry to set xattrs"));
        }
      }
      const std::string proc = "/proc/self/fd/" + std::to_string(path_fd.get());
      rc = ::setxattr(proc.c_str(), name.c_str(), value.data(), value.size(), 0);
    }
    if (rc != 0) {
      return fail(errnoError(errno, "setting xattr " + name));
    }
  }
  return skipped;
}

Status applyTimes(const EntryRef& ref, const std::optional<struct timespec>& mtime,
                  const std::optional<struct timespec>& atime) {
  if (!mtime) {
    return okStatus();
  }
  const std::array<struct timespec, 2> times{atime.value_or(*mtime), *mtime};
  const int rc =
      ref.fd >= 0 ? ::futimens(ref.fd, times.data())
                  : ::utimensat(ref.parent_fd, ref.name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW);
  if (rc != 0) {
    return fail(errnoError(errno, "setting times"));
  }
  return okStatus();
}

}  // namespace cocoon::image::unpack::extract
