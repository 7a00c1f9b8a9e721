// SPDX-License-Identifier: Apache-2.0
// Whole-file reads with a size cap, crash-safe atomic replacement, and temporary dirs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon {

// Replaces `path` with `data` so that a reader (or a crash) sees either the old file or
// the complete new one, never a mix: writes a uniquely named temp file in the same
// directory, fsyncs it, renames it over `path`, then fsyncs the directory. The new file
// gets exactly `mode` (umask does not apply) and the caller's owner; a symlink at `path`
// is replaced, not followed.
// On any failure before the rename the temp file is removed and `path` is untouched.
// Errors (messages name the path and the errno text): kNotFound when the directory does
// not exist, kPermissionDenied, kResourceExhausted (disk full), kInvalidArgument when
// `path` names a directory or no file at all, kInternal for other I/O errors. A failure
// to fsync the directory after the rename is reported although `path` was replaced.
Status writeFileAtomic(const std::filesystem::path& path, ByteSpan data, mode_t mode = 0644);

// Reads a whole file of at most `max_bytes` bytes (the file may grow while it is read;
// the cap is checked against what is actually read).
// Errors: kNotFound when missing, kResourceExhausted when larger than `max_bytes`,
// kInvalidArgument for a directory, kPermissionDenied, kInternal for other I/O errors.
Result<Bytes> readFile(const std::filesystem::path& path, std::size_t max_bytes);

// readFile into a string; the content is not checked to be valid UTF-8.
Result<std::string> readTextFile(const std::filesystem::path& path, std::size_t max_bytes);

// Creates `path` and its missing parents (like mkdir -p); an existing directory is fine.
// Errors: the errno of the failing mkdir mapped by codeFromErrno, naming the path.
Status createDirectories(const std::filesystem::path& path);

// Removes `path` and everything below it without following symlinks; missing is fine.
// Errors: the errno of the failing removal mapped by codeFromErrno, naming the path.
Status removeAll(const std::filesystem::path& path);

// A fresh directory (mode 0700) under $TMPDIR, or /tmp when $TMPDIR is unset or not
// absolute, removed with everything in it when the TempDir is destroyed. Move-only; not
// thread-safe (one owner).
class TempDir {
 public:
  // `prefix` starts the directory name ("<prefix>-XXXXXX"); it must not contain '/'.
  // Errors: kInvalidArgument for a bad prefix, or the mkdtemp errno mapped to a code.
  static Result<TempDir> create(std::string_view prefix = "cocoon");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void removeNow() noexcept;

  std::filesystem::path path_;
};

}  // namespace cocoon
