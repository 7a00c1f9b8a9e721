// SPDX-License-Identifier: Apache-2.0
// Entry creation, whiteouts and deferred directory metadata for one layer.
#include "image/unpack/extract/extractor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/sys_error.h"
#include "image/unpack/tar/entry_name.h"

namespace cocoon::image::unpack::extract {
namespace {

using tar::EntryHeader;
using tar::EntryType;

// containerd's overlay snapshotter marks opaque directories with this xattr.
constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

// A directory the archive cannot place (a path component is a file, a dangling symlink)
// is the archive's fault, not a missing resource of ours.
Error asArchiveError(Error e) {
  if (e.code == Code::kNotFound) {
    e.code = Code::kInvalidArgument;
  }
  return e;
}

Status writeAll(int fd, std::span<const std::uint8_t> data, std::int64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errnoError(errno, "writing file data at offset " + std::to_string(offset)));
    }
    data = data.subspan(static_cast<std::size_t>(n));
    offset += n;
  }
  return okStatus();
}

}  // namespace

Extractor::Extractor(fs::RootDir& root, tar::ArchiveReader& reader, UnpackMode mode,
                     const UnpackOptions& opts)
    : root_(root), reader_(reader), mode_(mode), opts_(opts) {
  policy_.opts = &opts;
  policy_.privileged = opts.privileged.value_or(::geteuid() == 0);
  if (mode_ == UnpackMode::kOverlayLayer) {
    // The layer root is created 0700 while it is filled; snapshotters leave it 0755.
    deferred_.push_back(DeferredDir{{}, 0755, std::nullopt, std::nullopt});
    deferred_index_.emplace("", 0);
  }
}

Status Extractor::extract(const EntryHeader& h) {
  if (++stats_.entries > opts_.max_entries) {
    return fail(Code::kResourceExhausted, "the layer has more than {} entries", opts_.max_entries);
  }
  if (h.name.size() > opts_.max_path_length || h.link_target.size() > opts_.max_path_length) {
    return fail(Code::kResourceExhausted, "name or link target of {} bytes exceeds the limit of {}",
                std::max(h.name.size(), h.link_target.size()), opts_.max_path_length);
  }
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string> components, tar::cleanEntryName(h.name));
  if (components.empty()) {
    if (h.type != EntryType::kDirectory) {
      return fail(Code::kInvalidArgument, "names the layer root but is not a directory");
    }
    COCOON_ASSIGN_OR_RETURN(UniqueFd fd, root_.openDir({}, false));
    return startDirectory(fd.get(), components, h);
  }
  const std::string name = components.back();
  std::vector<std::string> parent_components(components.begin(), components.end() - 1);
  switch (tar::whiteoutKind(name)) {
    case tar::WhiteoutKind::kMeta:
      ++stats_.skipped;
      return okStatus();
    case tar::WhiteoutKind::kOpaque:
      ++stats_.whiteouts;
      return opaque(parent_components);
    case tar::WhiteoutKind::kWhiteout: {
      ++stats_.whiteouts;
      const std::string hidden = name.substr(tar::kWhiteoutPrefix.size());
      if (hidden == "." || hidden == "..") {
        return fail(Code::kInvalidArgument, "whiteout of '{}'", hidden);
      }
      return whiteout(parent_components, hidden, h);
    }
    case tar::WhiteoutKind::kNone:
      break;
  }
  COCOON_ASSIGN_OR_RETURN(UniqueFd parent, openParent(parent_components, true));
  switch (h.type) {
    case EntryType::kFile:
      COCOON_TRY(extractFile(parent.get(), name, h));
      break;
    case EntryType::kDirectory:
      COCOON_TRY(extractDirectory(parent.get(), components, h));
      break;
    case EntryType::kHardlink:
      COCOON_TRY(extractHardlink(parent.get(), components, h));
      break;
    case EntryType::kSymlink:
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
    case EntryType::kFifo:
      COCOON_TRY(extractNode(parent.get(), name, h));
      break;
  }
  if (mode_ == UnpackMode::kApplyOnto) {
    unpacked_.insert(tar::joinComponents(components, components.size()));
  }
  return okStatus();
}

Result<UniqueFd> Extractor::openParent(const std::vector<std::string>& components, bool create) {
  Result<UniqueFd> fd = root_.openDir(components, create);
  if (!fd) {
    return fail(asArchiveError(std::move(fd.error())));
  }
  return fd;
}

Result<bool> Extractor::prepareSlot(int parent_fd, const std::string& name, bool is_dir) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return fail(errnoError(errno, "inspecting the existing entry"));
  }
  if (S_ISDIR(st.st_mode)) {
    if (is_dir) {
      return true;
    }
    COCOON_TRY(fs::removeTree(parent_fd, name));
  } else if (::unlinkat(parent_fd, name.c_str(), 0) != 0) {
    return fail(errnoError(errno, "replacing the existing entry"));
  }
  return false;
}

Status Extractor::extractFile(int parent_fd, const std::string& name, const EntryHeader& h) {
  if (static_cast<std::uint64_t>(h.size) > opts_.max_total_bytes - stats_.bytes) {
    return fail(Code::kResourceExhausted,
                "file of {} bytes takes the layer over its limit of {} bytes", h.size,
                opts_.max_total_bytes);
  }
  stats_.bytes += static_cast<std::uint64_t>(h.size);
  COCOON_TRY(prepareSlot(parent_fd, name, false));
  // O_EXCL|O_NOFOLLOW: the slot was just cleared; never write through whatever is there.
  UniqueFd fd(::openat(parent_fd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return fail(errnoError(errno, "creating the file"));
  }
  std::int64_t end = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(std::optional<tar::DataBlock> block, reader_.nextBlock());
    if (!block) {
      break;
    }
    const auto len = static_cast<std::int64_t>(block->data.size());
    if (block->offset < 0 || block->offset > h.size || len > h.size - block->offset) {
      return fail(Code::kInvalidArgument, "data at offset {} (+{}) beyond the size {}",
                  block->offset, len, h.size);
    }
    // Sparse files: libarchive skips holes by advancing the offset; pwrite leaves them.
    COCOON_TRY(writeAll(fd.get(), block->data, block->offset));
    end = std::max(end, block->offset + len);
  }
  if (end < h.size && ::ftruncate(fd.get(), h.size) != 0) {
    return fail(errnoError(errno, "extending the file to its size"));
  }
  const EntryRef ref{fd.get(), -1, {}};
  COCOON_TRY(applyNodeMetadata(ref, h, true));
  if (const int err = fd.closeChecked(); err != 0) {
    return fail(errnoError(err, "closing the file"));
  }
  return okStatus();
}

Status Extractor::extractDirectory(int parent_fd, const std::vector<std::string>& components,
                                   const EntryHeader& h) {
  const std::string& name = components.back();
  COCOON_ASSIGN_OR_RETURN(bool merge, prepareSlot(parent_fd, name, true));
  // Created owner-only; the archive's mode comes last, once the content is in.
  if (!merge && ::mkdirat(parent_fd, name.c_str(), 0700) != 0) {
    return fail(errnoError(errno, "creating the directory"));
  }
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return fail(errnoError(errno, "opening the directory"));
  }
  return startDirectory(fd.get(), components, h);
}

Status Extractor::startDirectory(int dir_fd, const std::vector<std::string>& components,
                                 const EntryHeader& h) {
  const EntryRef ref{dir_fd, -1, {}};
  COCOON_TRY(applyOwner(policy_, ref, h));
  COCOON_ASSIGN_OR_RETURN(std::uint64_t skipped, applyXattrs(policy_, ref, h));
  stats_.skipped_xattrs += skipped;
  deferDirectory(components, h);
  return okStatus();
}

Status Extractor::extractHardlink(int parent_fd, const std::vector<std::string>& components,
                                  const EntryHeader& h) {
  const std::string quoted = tar::quoteName(h.link_target);
  Result<std::vector<std::string>> target = tar::cleanEntryName(h.link_target);
  if (!target) {
    return fail(Code::kInvalidArgument, "hardlink target '{}': {}", quoted, target.error().message);
  }
  if (target->empty()) {
    return fail(Code::kInvalidArgument, "hardlink to the layer root");
  }
  const std::vector<std::string> target_parent(target->begin(), target->end() - 1);
  Result<UniqueFd> tparent = root_.openDir(target_parent, false);
  struct stat st {};
  if (!tparent ||
      ::fstatat(tparent->get(), target->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail(Code::kInvalidArgument,
                "hardlink target '{}' is not in the layer (outside it or not yet extracted)",
                quoted);
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(Code::kInvalidArgument, "hardlink target '{}' is a directory", quoted);
  }
  ++stats_.hardlinks;
  if (*target == components) {
    return okStatus();  // a link to itself, as some archivers write: nothing to do
  }
  COCOON_TRY(prepareSlot(parent_fd, components.back(), false));
  // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never what it points to.
  if (::linkat(tparent->get(), target->back().c_str(), parent_fd, components.back().c_str(), 0) !=
      0) {
    if (errno == ENOENT) {
      return fail(Code::kInvalidArgument, "hardlink target '{}' vanished while linking", quoted);
    }
    return fail(errnoError(errno, "creating the hardlink"));
  }
  return okStatus();
}

Status Extractor::extractNode(int parent_fd, const std::string& name, const EntryHeader& h) {
  const bool device = h.type == EntryType::kCharDevice || h.type == EntryType::kBlockDevice;
  if (device && !policy_.privileged) {
    if (opts_.devices_when_unprivileged == Unsupported::kSkip) {
      ++stats_.skipped;
      return okStatus();
    }
    return fail(Code::kPermissionDenied,
                "creating device {}:{} needs privilege (devices_when_unprivileged is kFail)",
                h.dev_major, h.dev_minor);
  }
  COCOON_TRY(prepareSlot(parent_fd, name, false));
  if (h.type == EntryType::kSymlink) {
    // Stored as is; every later path is resolved in the root, so it cannot lead out.
    if (::symlinkat(h.link_target.c_str(), parent_fd, name.c_str()) != 0) {
      return fail(errnoError(errno, "creating the symlink"));
    }
  } else {
    const mode_t type = h.type == EntryType::kCharDevice    ? S_IFCHR
                        : h.type == EntryType::kBlockDevice ? S_IFBLK
                                                            : S_IFIFO;
    if (::mknodat(parent_fd, name.c_str(), type | 0600, makedev(h.dev_major, h.dev_minor)) != 0) {
      return fail(errnoError(errno, "creating the device node or fifo"));
    }
  }
  return applyNodeMetadata(EntryRef{-1, parent_fd, name}, h, h.type != EntryType::kSymlink);
}

Status Extractor::applyNodeMetadata(const EntryRef& ref, const EntryHeader& h, bool with_mode) {
  // Owner first: chown clears setuid/setgid and security.capability.
  COCOON_TRY(applyOwner(policy_, ref, h));
  if (with_mode) {
    COCOON_TRY(applyMode(ref, h.perm));
  }
  COCOON_ASSIGN_OR_RETURN(std::uint64_t skipped, applyXattrs(policy_, ref, h));
  stats_.skipped_xattrs += skipped;
  return applyTimes(ref, h.mtime, h.atime);
}

Status Extractor::whiteout(const std::vector<std::string>& parent, const std::string& name,
                           const EntryHeader& h) {
  if (mode_ == UnpackMode::kApplyOnto) {
    Result<UniqueFd> dir = root_.openDir(parent, false);
    if (!dir) {
      // Nothing below a missing directory to delete.
      return dir.error().code == Code::kNotFound ? okStatus() : fail(std::move(dir.error()));
    }
    return fs::removeTree(dir->get(), name);
  }
  // containerd overlay convert: a 0/0 character device owned like the whiteout entry.
  Result<UniqueFd> parent_dir = root_.openDir(parent, true);
  if (!parent_dir && parent_dir.error().code == Code::kNotFound) {
    // A parent that this layer already made a non-directory (umoci writes `old`, now a
    // file, before `old/.wh.a`) hides everything below it: the whiteout adds nothing, and
    // overlayfs never looks below a file.
    return okStatus();
  }
  if (!parent_dir) {
    return fail(asArchiveError(std::move(parent_dir.error())));
  }
  UniqueFd dir = std::move(*parent_dir);
  COCOON_TRY(prepareSlot(dir.get(), name, false));
  if (::mknodat(dir.get(), name.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    return fail(errnoError(errno, "creating the overlay whiteout device"));
  }
  return applyOwner(policy_, EntryRef{-1, dir.get(), name}, h);
}

Status Extractor::opaque(const std::vector<std::string>& parent) {
  if (mode_ == UnpackMode::kApplyOnto) {
    Result<UniqueFd> dir = root_.openDir(parent, false);
    if (!dir) {
      return dir.error().code == Code::kNotFound ? okStatus() : fail(std::move(dir.error()));
    }
    return clearLower(dir->get(), tar::joinComponents(parent, parent.size()));
  }
  COCOON_ASSIGN_OR_RETURN(UniqueFd dir, openParent(parent, true));
  if (::fsetxattr(dir.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
    return fail(errnoError(errno, "setting trusted.overlay.opaque"));
  }
  return okStatus();
}

// containerd's naive applier: under an opaque directory everything goes except what this
// layer unpacked (and the directories leading to it), whichever side of the marker.
Status Extractor::clearLower(int dir_fd, const std::string& rel) {
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string> names, fs::listDirectory(dir_fd));
  for (const std::string& name : names) {
    const std::string path = rel.empty() ? name : rel + "/" + name;
    const std::string prefix = path + "/";
    const auto below = unpacked_.lower_bound(prefix);
    const bool keep =
        unpacked_.contains(path) || (below != unpacked_.end() && below->starts_with(prefix));
    if (!keep) {
      COCOON_TRY(fs::removeTree(dir_fd, name));
      continue;
    }
    UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (child.valid()) {
      COCOON_TRY(clearLower(child.get(), path));
    }
  }
  return okStatus();
}

void Extractor::deferDirectory(const std::vector<std::string>& components, const EntryHeader& h) {
  DeferredDir dir{components, h.perm, h.mtime, h.atime};
  const std::string key = tar::joinComponents(components, components.size());
  if (auto it = deferred_index_.find(key); it != deferred_index_.end()) {
    deferred_[it->second] = std::move(dir);  // the last entry for a path wins
    return;
  }
  deferred_index_.emplace(key, deferred_.size());
  deferred_.push_back(std::move(dir));
}

Status Extractor::finish() {
  // Deepest-last order reversed: children before parents, so a read-only parent is
  // applied after everything below it.
  for (auto it = deferred_.rbegin(); it != deferred_.rend(); ++it) {
    const std::string where =
        it->components.empty() ? "." : tar::joinComponents(it->components, it->components.size());
    UniqueFd fd;
    if (it->components.empty()) {
      COCOON_ASSIGN_OR_RETURN(fd, root_.openDir({}, false));
    } else {
      const std::vector<std::string> parent(it->components.begin(), it->components.end() - 1);
      Result<UniqueFd> dir = root_.openDir(parent, false);
      if (!dir) {
        continue;  // removed by a later entry (whiteout or replacement)
      }
      fd = UniqueFd(::openat(dir->get(), it->components.back().c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) {
        continue;  // replaced by a non-directory
      }
    }
    const EntryRef ref{fd.get(), -1, {}};
    Status st = applyMode(ref, it->perm);
    if (st) {
      st = applyTimes(ref, it->mtime, it->atime);
    }
    if (!st) {
      return fail(st.error().code, "directory '{}': {}", tar::quoteName(where), st.error().message);
    }
  }
  return okStatus();
}

}  // namespace cocoon::image::unpack::extract
