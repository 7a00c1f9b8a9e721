// SPDX-License-Identifier: Apache-2.0
// Directory handles resolved inside a root, and recursive removal that never follows
// symlinks: the only ways the extractor reaches the filesystem by path (STYLE.md §5.8).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::image::unpack::fs {

// An open root directory. Paths below it resolve as if it were '/': symlinks met on the way
// are followed but can never leave it, ".." stops at it, magic links are refused. Uses
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); where the kernel lacks openat2 (ENOSYS)
// an equivalent walk opens one component at a time with O_NOFOLLOW and expands symlinks
// itself. Move-only; not thread-safe.
class RootDir {
 public:
  // Errors: the errno of open(2) mapped by codeFromErrno (kNotFound when missing).
  static Result<RootDir> open(const std::filesystem::path& dir, bool force_walk);

  int fd() const { return fd_.get(); }

  // Opens the directory named by `components` (plain names: no '/', ".", ".." or "")
  // inside the root, O_RDONLY | O_DIRECTORY. With `create_missing`, missing directories
  // are created (mode 0755 minus umask) as tar creates an entry's implied parents.
  // Errors: kNotFound when a component is missing (without `create_missing`), is not a
  // directory, or is a dangling symlink; kInvalidArgument for a symlink loop; other
  // errno values mapped by codeFromErrno.
  Result<UniqueFd> openDir(std::span<const std::string> components, bool create_missing);

 private:
  RootDir(UniqueFd fd, bool use_walk) : fd_(std::move(fd)), use_walk_(use_walk) {}
  // Returns the fd, or -errno.
  UniqueFd resolve(std::span<const std::string> components, int& err);
  UniqueFd resolveOpenat2(const std::string& path, int& err);
  UniqueFd resolveWalk(const std::string& path, int& err);

  UniqueFd fd_;
  bool use_walk_ = false;
};

// The non-empty '/'-separated parts of `path`, in order ("." and ".." are kept).
std::vector<std::string_view> splitPath(std::string_view path);

// The names in directory `dir_fd` except "." and "..", in directory order.
// Errors: errno of opendir/readdir mapped by codeFromErrno.
Result<std::vector<std::string>> listDirectory(int dir_fd);

// Removes `name` in directory `parent_fd` and, if it is a directory, everything below it,
// without following symlinks and holding two descriptors whatever the depth. A missing
// `name` is not an error. REQUIRES: nothing else renames directories of the tree meanwhile.
// Errors: kAborted when a directory moved during the removal (detected when climbing
// back); errno of the failing unlink/rmdir/open mapped by codeFromErrno.
Status removeTree(int parent_fd, const std::string& name);

}  // namespace cocoon::image::unpack::fs
