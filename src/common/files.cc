// SPDX-License-Identifier: Apache-2.0
// Atomic file replacement, capped whole-file reads, and TempDir.
#include "common/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon {
namespace {

namespace fs = std::filesystem;

// Temp names add ".<name>.tmp.XXXXXX"; cut long names so the result fits NAME_MAX.
constexpr std::size_t kMaxTempStem = 200;
constexpr std::size_t kReadChunk = 64 * 1024;

Status writeAll(int fd, ByteSpan data, const std::string& where) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      return fail(errnoError(err, "writing " + where));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return okStatus();
}

// Removes the temp file unless the rename consumed it.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!committed_) {
      ::unlink(path_.c_str());
    }
  }
  const std::string& path() const { return path_; }
  void committed() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

Status fsyncDirectory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return fail(errnoError(err, "opening directory " + dir.string()));
  }
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    return fail(errnoError(err, "fsync of directory " + dir.string()));
  }
  return okStatus();
}

}  // namespace

Status writeFileAtomic(const fs::path& path, ByteSpan data, mode_t mode) {
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return fail(Code::kInvalidArgument, "writing {}: path names no file", path.string());
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  // Built with fmt rather than operator+ chains: g++ 12 -O3 reports a false -Wrestrict on
  // those (GCC bug 105329).
  std::string pattern =
      (dir / fmt::format(".{}.tmp.XXXXXX", std::string_view(name).substr(0, kMaxTempStem)))
          .string();
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return fail(
        errnoError(err, "creating a temp file in " + dir.string() + " for " + path.string()));
  }
  TempFile temp(pattern);
  if (::fchmod(fd.get(), mode & 07777) != 0) {
    const int err = errno;
    return fail(errnoError(err, "chmod of " + temp.path()));
  }
  COCOON_TRY(writeAll(fd.get(), data, temp.path()));
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    return fail(errnoError(err, "fsync of " + temp.path()));
  }
  if (const int err = fd.closeChecked(); err != 0) {
    return fail(errnoError(err, "closing " + temp.path()));
  }
  if (::rename(temp.path().c_str(), path.c_str()) != 0) {
    const int err = errno;
    return fail(errnoError(err, "renaming " + temp.path() + " to " + path.string()));
  }
  temp.committed();
  // Without this the rename itself may not survive a crash.
  return fsyncDirectory(dir);
}

Result<Bytes> readFile(const fs::path& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    const int err = errno;
    return fail(errnoError(err, "reading " + path.string()));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    return fail(errnoError(err, "stat of " + path.string()));
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(Code::kInvalidArgument, "reading {}: is a directory", path.string());
  }
  const auto declared = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  if (S_ISREG(st.st_mode) && declared > max_bytes) {
    return fail(Code::kResourceExhausted, "reading {}: size {} exceeds the limit of {} bytes",
                path.string(), declared, max_bytes);
  }
  Bytes out;
  out.reserve(std::min(declared, max_bytes));
  // Reads up to one byte past the cap so a file that grew (or a /proc file reporting
  // size 0) is caught by what was read, not by what stat said.
  for (;;) {
    const std::size_t old_size = out.size();
    const std::size_t want = std::min(kReadChunk, max_bytes - old_size + 1);
    out.resize(old_size + want);
    const ssize_t n = ::read(fd.get(), out.data() + old_size, want);
    if (n < 0) {
      const int err = errno;
      out.resize(old_size);
      if (err == EINTR) {
        continue;
      }
      return fail(errnoError(err, "reading " + path.string()));
    }
    out.resize(old_size + static_cast<std::size_t>(n));
    if (n == 0) {
      return out;
    }
    if (out.size() > max_bytes) {
      return fail(Code::kResourceExhausted, "reading {}: larger than the limit of {} bytes",
                  path.string(), max_bytes);
    }
  }
}

Result<std::string> readTextFile(const fs::path& path, std::size_t max_bytes) {
  COCOON_ASSIGN_OR_RETURN(Bytes bytes, readFile(path, max_bytes));
  return toString(bytes);
}

Result<TempDir> TempDir::create(std::string_view prefix) {
  if (prefix.empty() || prefix.find('/') != std::string_view::npos ||
      prefix.find('\0') != std::string_view::npos) {
    return fail(Code::kInvalidArgument, "temp dir prefix \"{}\" must be a non-empty name", prefix);
  }
  fs::path base = "/tmp";
  if (const char* tmpdir = ::secure_getenv("TMPDIR"); tmpdir != nullptr && tmpdir[0] == '/') {
    base = tmpdir;
  }
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    const int err = errno;
    return fail(errnoError(err, "creating a temp dir in " + base.string()));
  }
  return TempDir(fs::path(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    removeNow();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  removeNow();
}

void TempDir::removeNow() noexcept {
  if (!path_.empty()) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    path_.clear();
  }
}

Status createDirectories(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return fail(codeFromErrno(ec.value()), "creating {}: {}", path.string(), ec.message());
  }
  return {};
}

Status removeAll(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    return fail(codeFromErrno(ec.value()), "removing {}: {}", path.string(), ec.message());
  }
  return {};
}

}  // namespace cocoon
