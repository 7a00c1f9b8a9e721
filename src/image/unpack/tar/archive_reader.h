// SPDX-License-Identifier: Apache-2.0
// libarchive over a ByteSource: tar formats only, no filters, headers decoded into
// EntryHeader and file data handed out block by block (never a whole file in memory).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/layer/byte_source.h"

struct archive;

namespace cocoon::image::unpack::tar {

enum class EntryType : std::uint8_t {
  kFile,
  kDirectory,
  kSymlink,
  kHardlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
};

// One tar header after pax / GNU extensions are folded in. Names are the archive's bytes.
struct EntryHeader {
  std::string name;
  EntryType type = EntryType::kFile;
  std::string link_target;  // symlink target or hardlink target name
  mode_t perm = 0;          // 07777 bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::int64_t size = 0;  // apparent size of a regular file (sparse holes included)
  std::optional<struct timespec> mtime;
  std::optional<struct timespec> atime;
  std::vector<std::pair<std::string, Bytes>> xattrs;
};

// A piece of the current entry's data at `offset` (holes of sparse files are skipped).
struct DataBlock {
  std::span<const std::uint8_t> data;
  std::int64_t offset = 0;
};

// Reads one tar stream. Owns the libarchive handle; borrows `source`, which must outlive
// it. Not thread-safe. Errors of `source` are returned unchanged (code and message);
// libarchive's own are kDataLoss when the stream ends inside an entry or header, else
// kInvalidArgument (not tar, damaged header, bad pax record).
class ArchiveReader {
 public:
  // Errors: kInternal when libarchive cannot be set up, else as above.
  static Result<std::unique_ptr<ArchiveReader>> open(layer::ByteSource& source);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // The next header, or nullopt at the end of the archive (end blocks or end of stream).
  // Unread data of the previous entry is skipped.
  Result<std::optional<EntryHeader>> next();

  // The next block of the current entry's data, or nullopt after its last block.
  Result<std::optional<DataBlock>> nextBlock();

 private:
  explicit ArchiveReader(layer::ByteSource& source) : source_(source) {}
  static long readCallback(struct archive* a, void* self, const void** buffer);
  Error archiveError(int rc);

  layer::ByteSource& source_;
  struct archive* archive_ = nullptr;
  std::optional<Error> source_error_;
  std::array<std::uint8_t, 64 * 1024> buffer_{};
};

}  // namespace cocoon::image::unpack::tar
