// SPDX-License-Identifier: Apache-2.0
// In-root resolution (openat2 or an O_NOFOLLOW walk) and fd-relative recursive removal.
#include "image/unpack/fs/in_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <deque>
#include <vector>

#include "common/sys_error.h"

namespace cocoon::image::unpack::fs {
namespace {

// Linux's MAXSYMLINKS: the walk gives up with ELOOP after as many expansions as the kernel.
constexpr int kMaxSymlinks = 40;
// openat2 RESOLVE_IN_ROOT answers EAGAIN when a concurrent rename raced with "..".
constexpr int kOpenat2Retries = 8;

std::string joinPath(std::span<const std::string> components) {
  std::string out;
  for (const auto& c : components) {
    if (!out.empty()) {
      out += '/';
    }
    out += c;
  }
  return out.empty() ? std::string(".") : out;
}

void splitInto(std::string_view path, std::deque<std::string>& front_of) {
  const std::vector<std::string_view> parts = splitPath(path);
  front_of.insert(front_of.begin(), parts.begin(), parts.end());
}

Error resolveError(int err, std::span<const std::string> components) {
  return errnoError(err, "resolving directory '" + joinPath(components) + "' in the root");
}

}  // namespace

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    if (slash > pos) {
      parts.push_back(path.substr(pos, slash - pos));
    }
    pos = slash + 1;
  }
  return parts;
}

Result<std::vector<std::string>> listDirectory(int dir_fd) {
  const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  DIR* dir = dup_fd < 0 ? nullptr : ::fdopendir(dup_fd);
  if (dir == nullptr) {
    const int err = errno;
    if (dup_fd >= 0) {
      ::close(dup_fd);
    }
    return fail(errnoError(err, "listing a directory"));
  }
  ::rewinddir(dir);  // the dup shares its offset with dir_fd, which may have been read
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* ent = ::readdir(dir)) {
    const std::string_view name(ent->d_name);
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) {
    return fail(errnoError(err, "reading a directory"));
  }
  return names;
}

Result<RootDir> RootDir::open(const std::filesystem::path& dir, bool force_walk) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return fail(errnoError(errno, "opening root " + dir.string()));
  }
  return RootDir(std::move(fd), force_walk);
}

UniqueFd RootDir::resolveOpenat2(const std::string& path, int& err) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < kOpenat2Retries; ++attempt) {
    const long rc = ::syscall(SYS_openat2, fd_.get(), path.c_str(), &how, sizeof(how));
    if (rc >= 0) {
      return UniqueFd(static_cast<int>(rc));
    }
    err = errno;
    if (err != EAGAIN) {
      break;
    }
  }
  return UniqueFd();
}

// Same semantics as RESOLVE_IN_ROOT, one component at a time: crun's safe_openat idea.
UniqueFd RootDir::resolveWalk(const std::string& path, int& err) {
  std::vector<UniqueFd> stack;
  stack.emplace_back(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!stack.back().valid()) {
    err = errno;
    return UniqueFd();
  }
  std::deque<std::string> pending;
  splitInto(path, pending);
  int links = 0;
  while (!pending.empty()) {
    const std::string name = std::move(pending.front());
    pending.pop_front();
    if (name == ".") {
      continue;
    }
    if (name == "..") {
      if (stack.size() > 1) {
        stack.pop_back();
      }
      continue;
    }
    UniqueFd next(::openat(stack.back().get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!next.valid() || ::fstat(next.get(), &st) != 0) {
      err = errno;
      return UniqueFd();
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) {
        err = ELOOP;
        return UniqueFd();
      }
      std::array<char, 4096> target{};
      const ssize_t n = ::readlinkat(next.get(), "", target.data(), target.size());
      if (n < 0 || static_cast<std::size_t>(n) >= target.size()) {
        err = n < 0 ? errno : ENAMETOOLONG;
        return UniqueFd();
      }
      if (n == 0) {
        err = ENOENT;
        return UniqueFd();
      }
      const std::string_view link(target.data(), static_cast<std::size_t>(n));
      if (link.front() == '/') {
        stack.resize(1);
      }
      splitInto(link, pending);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      err = ENOTDIR;
      return UniqueFd();
    }
    stack.push_back(std::move(next));
  }
  UniqueFd out(::openat(stack.back().get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!out.valid()) {
    err = errno;
  }
  return out;
}

UniqueFd RootDir::resolve(std::span<const std::string> components, int& err) {
  const std::string path = joinPath(components);
  if (!use_walk_) {
    UniqueFd fd = resolveOpenat2(path, err);
    if (fd.valid() || err != ENOSYS) {
      return fd;
    }
    use_walk_ = true;
  }
  return resolveWalk(path, err);
}

Result<UniqueFd> RootDir::openDir(std::span<const std::string> components, bool create_missing) {
  int err = 0;
  UniqueFd fd = resolve(components, err);
  if (fd.valid()) {
    return fd;
  }
  if (err != ENOENT || !create_missing) {
    return fail(resolveError(err, components));
  }
  // Create the missing tail one directory at a time, each in the parent resolved in root.
  UniqueFd parent = resolve({}, err);
  if (!parent.valid()) {
    return fail(resolveError(err, {}));
  }
  for (std::size_t i = 0; i < components.size(); ++i) {
    UniqueFd next = resolve(components.first(i + 1), err);
    if (!next.valid() && err == ENOENT) {
      if (::mkdirat(parent.get(), components[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return fail(
            errnoError(errno, "creating directory '" + joinPath(components.first(i + 1)) + "'"));
      }
      next = resolve(components.first(i + 1), err);
    }
    if (!next.valid()) {
      return fail(resolveError(err, components.first(i + 1)));
    }
    parent = std::move(next);
  }
  return parent;
}

namespace {

enum class Emptied : std::uint8_t { kYes, kDescend };

// Unlinks what it can in `dir_fd`; stops at the first non-empty subdirectory, whose name
// it stores in `child`.
Result<Emptied> emptyOneLevel(int dir_fd, std::string& child) {
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string> names, listDirectory(dir_fd));
  for (std::string& name : names) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0) {
      continue;
    }
    if (errno != EISDIR) {
      return fail(errnoError(errno, "removing '" + name + "'"));
    }
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0) {
      continue;
    }
    if (errno != ENOTEMPTY && errno != EEXIST) {
      return fail(errnoError(errno, "removing directory '" + name + "'"));
    }
    child = std::move(name);
    return Emptied::kDescend;
  }
  return Emptied::kYes;
}

// A directory being removed: its name in its parent and the parent's identity, checked
// when climbing back up through "..".
struct Level {
  std::string name;
  dev_t parent_dev = 0;
  ino_t parent_ino = 0;
};

Result<Level> levelBelow(int parent_fd, const std::string& name) {
  struct stat st {};
  if (::fstat(parent_fd, &st) != 0) {
    return fail(errnoError(errno, "inspecting a directory to remove"));
  }
  return Level{name, st.st_dev, st.st_ino};
}

}  // namespace

Status removeTree(int parent_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return okStatus();
    }
    return fail(errnoError(errno, "inspecting '" + name + "'"));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return fail(errnoError(errno, "removing '" + name + "'"));
    }
    return okStatus();
  }
  // Depth-first holding one directory open: down with O_NOFOLLOW, back up through ".."
  // checked against the parent recorded on the way down, so a hostile deep tree cannot
  // exhaust descriptors and a moved directory cannot lead the removal elsewhere.
  std::vector<Level> stack;
  COCOON_ASSIGN_OR_RETURN(Level top, levelBelow(parent_fd, name));
  stack.push_back(std::move(top));
  UniqueFd cur(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!cur.valid()) {
    return fail(errnoError(errno, "opening '" + name + "' to remove it"));
  }
  while (!stack.empty()) {
    std::string child;
    COCOON_ASSIGN_OR_RETURN(Emptied state, emptyOneLevel(cur.get(), child));
    if (state == Emptied::kDescend) {
      COCOON_ASSIGN_OR_RETURN(Level level, levelBelow(cur.get(), child));
      stack.push_back(std::move(level));
      UniqueFd next(
          ::openat(cur.get(), child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next.valid()) {
        return fail(errnoError(errno, "opening '" + child + "' to remove it"));
      }
      cur = std::move(next);
      continue;
    }
    const Level done = std::move(stack.back());
    stack.pop_back();
    UniqueFd up(stack.empty() ? ::fcntl(parent_fd, F_DUPFD_CLOEXEC, 0)
                              : ::openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat up_st {};
    if (!up.valid() || ::fstat(up.get(), &up_st) != 0) {
      return fail(errnoError(errno, "climbing back from '" + done.name + "'"));
    }
    if (up_st.st_dev != done.parent_dev || up_st.st_ino != done.parent_ino) {
      return fail(Code::kAborted, "directory '{}' moved while it was being removed", done.name);
    }
    if (::unlinkat(up.get(), done.name.c_str(), AT_REMOVEDIR) != 0) {
      return fail(errnoError(errno, "removing directory '" + done.name + "'"));
    }
    cur = std::move(up);
  }
  return okStatus();
}

}  // namespace cocoon::image::unpack::fs
