// SPDX-License-Identifier: Apache-2.0
// Extractor: creates one layer's entries inside a root, applying the OCI whiteout rules of
// the target mode and deferring directory modes and times to the end, as tar does.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/unpack/extract/metadata.h"
#include "image/unpack/fs/in_root.h"
#include "image/unpack/tar/archive_reader.h"
#include "image/unpack/unpack.h"

namespace cocoon::image::unpack::extract {

// Borrows `root`, `reader` and `opts`, which must outlive it. Not thread-safe.
class Extractor {
 public:
  Extractor(fs::RootDir& root, tar::ArchiveReader& reader, UnpackMode mode,
            const UnpackOptions& opts);

  // Creates the entry `h` (reading its data from the reader). Error messages do not name
  // the entry: the caller adds it. Codes as documented for unpackLayer.
  Status extract(const tar::EntryHeader& h);

  // Applies the deferred directory modes and times. Errors name the directory.
  Status finish();

  const LayerStats& stats() const { return stats_; }

 private:
  struct DeferredDir {
    std::vector<std::string> components;
    mode_t perm = 0755;
    std::optional<struct timespec> mtime;
    std::optional<struct timespec> atime;
  };

  Result<UniqueFd> openParent(const std::vector<std::string>& components, bool create);
  // Clears the way for a new entry named `name`; returns true when an existing directory
  // is kept to be merged with a new directory.
  Result<bool> prepareSlot(int parent_fd, const std::string& name, bool is_dir);
  Status extractFile(int parent_fd, const std::string& name, const tar::EntryHeader& h);
  Status extractDirectory(int parent_fd, const std::vector<std::string>& components,
                          const tar::EntryHeader& h);
  // Owner and xattrs now; mode and times deferred to finish().
  Status startDirectory(int dir_fd, const std::vector<std::string>& components,
                        const tar::EntryHeader& h);
  Status extractHardlink(int parent_fd, const std::vector<std::string>& components,
                         const tar::EntryHeader& h);
  Status extractNode(int parent_fd, const std::string& name, const tar::EntryHeader& h);
  Status applyNodeMetadata(const EntryRef& ref, const tar::EntryHeader& h, bool with_mode);
  Status whiteout(const std::vector<std::string>& parent, const std::string& name,
                  const tar::EntryHeader& h);
  Status opaque(const std::vector<std::string>& parent);
  Status clearLower(int dir_fd, const std::string& rel);
  void deferDirectory(const std::vector<std::string>& components, const tar::EntryHeader& h);

  fs::RootDir& root_;
  tar::ArchiveReader& reader_;
  UnpackMode mode_;
  const UnpackOptions& opts_;
  MetadataPolicy policy_;
  LayerStats stats_;
  std::vector<DeferredDir> deferred_;
  std::unordered_map<std::string, std::size_t> deferred_index_;
  // kApplyOnto: the paths this layer created, which an opaque marker must keep.
  std::set<std::string> unpacked_;
};

}  // namespace cocoon::image::unpack::extract
