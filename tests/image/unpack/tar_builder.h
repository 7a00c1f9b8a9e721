// SPDX-License-Identifier: Apache-2.0
// Test builders for unpack: tar streams written with libarchive (pax, GNU or ustar), byte
// sources over memory, and directory-tree snapshots for before/after comparisons.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/layer/byte_source.h"

namespace cocoon::image::unpack::test {

// Builds a tar stream entry by entry: TarBuilder().dir("a").file("a/x", "hi").build().
// Modifiers (owner, mtime, xattr) apply to the entry added last.
class TarBuilder {
 public:
  enum class Format : std::uint8_t { kPax, kGnu, kUstar };
  explicit TarBuilder(Format format = Format::kPax) : format_(format) {}

  TarBuilder& dir(std::string name, mode_t perm = 0755);
  TarBuilder& file(std::string name, std::string content, mode_t perm = 0644);
  TarBuilder& symlink(std::string name, std::string target);
  TarBuilder& hardlink(std::string name, std::string target);
  TarBuilder& charDevice(std::string name, unsigned major, unsigned minor);
  TarBuilder& fifo(std::string name);
  // A sparse file of `size` bytes whose data are `extents` (offset, bytes); the rest holes.
  TarBuilder& sparseFile(std::string name, std::int64_t size,
                         std::vector<std::pair<std::int64_t, std::string>> extents);

  TarBuilder& owner(std::uint32_t uid, std::uint32_t gid);
  TarBuilder& mtime(std::int64_t seconds);
  TarBuilder& xattr(std::string name, std::string value);

  // The archive; without `end_blocks` the two zero blocks are cut off, as umoci's insert
  // writes layers.
  Bytes build(bool end_blocks = true) const;

 private:
  struct Entry {
    std::string name;
    unsigned type = 0;  // AE_IF*
    mode_t perm = 0644;
    std::string content;
    std::string link;
    bool hardlink = false;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int64_t mtime = 1'700'000'000;
    unsigned rdev_major = 0;
    unsigned rdev_minor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
    std::vector<std::pair<std::int64_t, std::int64_t>> sparse;  // offset, length
  };
  TarBuilder& add(Entry e);

  Format format_;
  std::vector<Entry> entries_;
};

// A ByteSource over memory, at most `chunk` bytes per read; `end_error`, if set, is
// returned instead of the end of the stream (like a digest check failing at the end).
class MemorySource : public layer::ByteSource {
 public:
  explicit MemorySource(Bytes data, std::size_t chunk = 4096,
                        std::optional<Error> end_error = std::nullopt)
      : data_(std::move(data)), chunk_(chunk), end_error_(std::move(end_error)) {}
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  std::size_t consumed() const { return pos_; }

 private:
  Bytes data_;
  std::size_t chunk_;
  std::optional<Error> end_error_;
  std::size_t pos_ = 0;
};

// One line per entry below `root` ("path type mode uid:gid size/target/dev [mtime]"),
// sorted: equal snapshots mean equal trees for everything tar carries except content and
// xattrs. Directory mtimes are left out unless `dir_mtimes`.
std::map<std::string, std::string> snapshotTree(const std::filesystem::path& root,
                                                bool dir_mtimes = true);

// The content of a regular file, or "<missing>".
std::string readAll(const std::filesystem::path& path);

}  // namespace cocoon::image::unpack::test
