// SPDX-License-Identifier: Apache-2.0
// libarchive read callbacks over a ByteSource and archive_entry -> EntryHeader.
#include "image/unpack/tar/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstring>
#include <string_view>

namespace cocoon::image::unpack::tar {
namespace {

Result<EntryType> entryType(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) {
    return EntryType::kHardlink;
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      return EntryType::kFile;
    case AE_IFDIR:
      return EntryType::kDirectory;
    case AE_IFLNK:
      return EntryType::kSymlink;
    case AE_IFCHR:
      return EntryType::kCharDevice;
    case AE_IFBLK:
      return EntryType::kBlockDevice;
    case AE_IFIFO:
      return EntryType::kFifo;
    default:
      return fail(Code::kInvalidArgument, "unsupported entry type {:#o}",
                  archive_entry_filetype(entry));
  }
}

Result<std::uint32_t> idOf(la_int64_t id, std::string_view what) {
  if (id < 0 || id > UINT32_MAX) {
    return fail(Code::kInvalidArgument, "{} {} out of range", what, id);
  }
  return static_cast<std::uint32_t>(id);
}

Result<EntryHeader> decodeHeader(archive_entry* entry) {
  EntryHeader h;
  const char* name = archive_entry_pathname(entry);
  if (name == nullptr) {
    return fail(Code::kInvalidArgument, "entry without a name");
  }
  h.name = name;
  COCOON_ASSIGN_OR_RETURN(h.type, entryType(entry));
  if (h.type == EntryType::kHardlink) {
    h.link_target = archive_entry_hardlink(entry);
  } else if (h.type == EntryType::kSymlink) {
    const char* target = archive_entry_symlink(entry);
    h.link_target = target == nullptr ? "" : target;
  }
  h.perm = archive_entry_perm(entry) & 07777;
  COCOON_ASSIGN_OR_RETURN(h.uid, idOf(archive_entry_uid(entry), "uid"));
  COCOON_ASSIGN_OR_RETURN(h.gid, idOf(archive_entry_gid(entry), "gid"));
  h.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(entry));
  h.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(entry));
  h.size = archive_entry_size(entry);
  if (h.size < 0) {
    return fail(Code::kInvalidArgument, "negative size {}", h.size);
  }
  if (archive_entry_mtime_is_set(entry) != 0) {
    h.mtime = timespec{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
  }
  if (archive_entry_atime_is_set(entry) != 0) {
    h.atime = timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
  }
  archive_entry_xattr_reset(entry);
  const char* xname = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  while (archive_entry_xattr_next(entry, &xname, &value, &size) == ARCHIVE_OK) {
    const auto* bytes = static_cast<const std::uint8_t*>(value);
    // libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr and SCHILY.xattr)
    // and its reader returns both: the last one of a name wins.
    std::erase_if(h.xattrs, [&](const auto& x) { return x.first == xname; });
    h.xattrs.emplace_back(xname, Bytes(bytes, bytes + size));
  }
  return h;
}

}  // namespace

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::open(layer::ByteSource& source) {
  std::unique_ptr<ArchiveReader> reader(new ArchiveReader(source));
  reader->archive_ = archive_read_new();
  struct archive* a = reader->archive_;
  // Tar (ustar, pax, GNU, v7) only, no decompression: the pipeline decompressed already.
  // "empty" accepts a zero-byte layer.
  if (a == nullptr || archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_support_format_empty(a) != ARCHIVE_OK ||
      archive_read_support_filter_none(a) != ARCHIVE_OK) {
    return fail(Code::kInternal, "setting up libarchive");
  }
  const int rc = archive_read_open(a, reader.get(), nullptr, &ArchiveReader::readCallback, nullptr);
  if (rc != ARCHIVE_OK) {
    return fail(reader->archiveError(rc));
  }
  return reader;
}

ArchiveReader::~ArchiveReader() {
  if (archive_ != nullptr) {
    archive_read_free(archive_);
  }
}

long ArchiveReader::readCallback(struct archive* a, void* self, const void** buffer) {
  auto* reader = static_cast<ArchiveReader*>(self);
  Result<std::size_t> n = reader->source_.read(reader->buffer_);
  if (!n) {
    reader->source_error_ = std::move(n.error());
    archive_set_error(a, EIO, "layer source failed");
    return -1;
  }
  *buffer = reader->buffer_.data();
  return static_cast<long>(*n);
}

Error ArchiveReader::archiveError(int rc) {
  if (source_error_) {
    return *source_error_;
  }
  const char* text = archive_error_string(archive_);
  const std::string_view message = text == nullptr ? "libarchive error" : text;
  // libarchive reports every premature end as "Truncated tar archive…" or "Truncated input
  // file…"; the rest are format errors.
  const Code code =
      message.find("runcated") != std::string_view::npos ? Code::kDataLoss : Code::kInvalidArgument;
  return makeError(code, "{} (libarchive status {})", message, rc);
}

Result<std::optional<EntryHeader>> ArchiveReader::next() {
  archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(archive_, &entry);
  if (rc == ARCHIVE_EOF) {
    if (source_error_) {
      return fail(*source_error_);
    }
    return std::optional<EntryHeader>();
  }
  // ARCHIVE_WARN covers names that do not convert to the locale's charset: the raw bytes
  // are kept, which is what we want. ARCHIVE_RETRY (damaged header) is fatal here: bsdtar
  // would scan forward for the next valid header, hiding whatever was skipped.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return fail(archiveError(rc));
  }
  COCOON_ASSIGN_OR_RETURN(EntryHeader header, decodeHeader(entry));
  return std::optional<EntryHeader>(std::move(header));
}

Result<std::optional<DataBlock>> ArchiveReader::nextBlock() {
  const void* data = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  const int rc = archive_read_data_block(archive_, &data, &size, &offset);
  if (rc == ARCHIVE_EOF) {
    return std::optional<DataBlock>();
  }
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return fail(archiveError(rc));
  }
  DataBlock block;
  block.data = {static_cast<const std::uint8_t*>(data), size};
  block.offset = offset;
  return std::optional<DataBlock>(block);
}

}  // namespace cocoon::image::unpack::tar
