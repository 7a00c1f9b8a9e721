// SPDX-License-Identifier: Apache-2.0
// TarBuilder on libarchive's writer, MemorySource and tree snapshots.
#include "image/unpack/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace cocoon::image::unpack::test {
namespace {

la_ssize_t appendTo(struct archive* /*a*/, void* out, const void* buf, std::size_t n) {
  const auto* bytes = static_cast<const std::uint8_t*>(buf);
  static_cast<Bytes*>(out)->insert(static_cast<Bytes*>(out)->end(), bytes, bytes + n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

TarBuilder& TarBuilder::add(Entry e) {
  entries_.push_back(std::move(e));
  return *this;
}

TarBuilder& TarBuilder::dir(std::string name, mode_t perm) {
  return add(Entry{.name = std::move(name), .type = AE_IFDIR, .perm = perm});
}

TarBuilder& TarBuilder::file(std::string name, std::string content, mode_t perm) {
  return add(Entry{
      .name = std::move(name), .type = AE_IFREG, .perm = perm, .content = std::move(content)});
}

TarBuilder& TarBuilder::symlink(std::string name, std::string target) {
  return add(
      Entry{.name = std::move(name), .type = AE_IFLNK, .perm = 0777, .link = std::move(target)});
}

TarBuilder& TarBuilder::hardlink(std::string name, std::string target) {
  return add(Entry{
      .name = std::move(name), .type = AE_IFREG, .link = std::move(target), .hardlink = true});
}

TarBuilder& TarBuilder::charDevice(std::string name, unsigned major, unsigned minor) {
  return add(Entry{.name = std::move(name),
                   .type = AE_IFCHR,
                   .perm = 0666,
                   .rdev_major = major,
                   .rdev_minor = minor});
}

TarBuilder& TarBuilder::fifo(std::string name) {
  return add(Entry{.name = std::move(name), .type = AE_IFIFO, .perm = 0620});
}

TarBuilder& TarBuilder::sparseFile(std::string name, std::int64_t size,
                                   std::vector<std::pair<std::int64_t, std::string>> extents) {
  Entry e{.name = std::move(name), .type = AE_IFREG};
  e.content.assign(static_cast<std::size_t>(size), '\0');
  for (const auto& [offset, data] : extents) {
    std::copy(data.begin(), data.end(), e.content.begin() + offset);
    e.sparse.emplace_back(offset, static_cast<std::int64_t>(data.size()));
  }
  return add(std::move(e));
}

TarBuilder& TarBuilder::owner(std::uint32_t uid, std::uint32_t gid) {
  entries_.back().uid = uid;
  entries_.back().gid = gid;
  return *this;
}

TarBuilder& TarBuilder::mtime(std::int64_t seconds) {
  entries_.back().mtime = seconds;
  return *this;
}

TarBuilder& TarBuilder::xattr(std::string name, std::string value) {
  entries_.back().xattrs.emplace_back(std::move(name), std::move(value));
  return *this;
}

Bytes TarBuilder::build(bool end_blocks) const {
  // pax stores names as UTF-8: in a UTF-8 locale libarchive writes our bytes unchanged.
  locale_t utf8 = ::newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
  locale_t previous = utf8 == nullptr ? nullptr : ::uselocale(utf8);
  Bytes out;
  struct archive* a = archive_write_new();
  switch (format_) {
    case Format::kPax:
      archive_write_set_format_pax(a);
      break;
    case Format::kGnu:
      archive_write_set_format_gnutar(a);
      break;
    case Format::kUstar:
      archive_write_set_format_ustar(a);
      break;
  }
  archive_write_set_bytes_in_last_block(a, 1);  // no padding after the end blocks
  EXPECT_EQ(archive_write_open(a, &out, nullptr, appendTo, nullptr), ARCHIVE_OK);
  for (const Entry& e : entries_) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.perm);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, e.mtime, 0);
    archive_entry_set_rdevmajor(entry, e.rdev_major);
    archive_entry_set_rdevminor(entry, e.rdev_minor);
    if (e.hardlink) {
      archive_entry_set_hardlink(entry, e.link.c_str());
    } else if (e.type == AE_IFLNK) {
      archive_entry_set_symlink(entry, e.link.c_str());
    }
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    for (const auto& [offset, length] : e.sparse) {
      archive_entry_sparse_add_entry(entry, offset, length);
    }
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    }
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (!e.content.empty()) {
      EXPECT_EQ(archive_write_data(a, e.content.data(), e.content.size()),
                static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(entry);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  if (utf8 != nullptr) {
    ::uselocale(previous);
    ::freelocale(utf8);
  }
  if (!end_blocks) {
    EXPECT_GE(out.size(), 1024u);
    EXPECT_TRUE(std::all_of(out.end() - 1024, out.end(), [](std::uint8_t b) { return b == 0; }));
    out.resize(out.size() - 1024);
  }
  return out;
}

Result<std::size_t> MemorySource::read(std::span<std::uint8_t> out) {
  const std::size_t n = std::min({out.size(), data_.size() - pos_, chunk_});
  if (n == 0 && !out.empty() && end_error_) {
    return fail(*end_error_);
  }
  if (n > 0) {
    std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
  }
  return n;
}

std::map<std::string, std::string> snapshotTree(const std::filesystem::path& root,
                                                bool dir_mtimes) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue;
    }
    std::string detail;
    if (S_ISLNK(st.st_mode)) {
      detail = "-> " + std::filesystem::read_symlink(it->path(), ec).string();
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      detail = fmt::format("dev {}:{}", major(st.st_rdev), minor(st.st_rdev));
    } else if (S_ISREG(st.st_mode)) {
      detail = fmt::format("size {} links {}", st.st_size, st.st_nlink);
    }
    if (dir_mtimes || !S_ISDIR(st.st_mode)) {
      detail += fmt::format(" mtime {}", st.st_mtime);
    }
    out[std::filesystem::relative(it->path(), root).string()] =
        fmt::format("{:o} {}:{} {}", st.st_mode, st.st_uid, st.st_gid, detail);
  }
  return out;
}

std::string readAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "<missing>";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cocoon::image::unpack::test
