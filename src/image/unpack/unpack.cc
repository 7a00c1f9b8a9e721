// SPDX-License-Identifier: Apache-2.0
// unpackLayer: the archive loop, error naming, and the atomic overlay-layer directory.
#include "image/unpack/unpack.h"

#include <fcntl.h>
#include <locale.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "image/unpack/extract/extractor.h"
#include "image/unpack/fs/in_root.h"
#include "image/unpack/tar/archive_reader.h"
#include "image/unpack/tar/entry_name.h"

namespace cocoon::image::unpack {
namespace {

// libarchive converts names to the locale's charset; in the C locale it keeps the
// archive's bytes (with a warning), which is what we must create. Thread-local, so other
// threads keep their locale.
class ScopedCLocale {
 public:
  ScopedCLocale() : locale_(::newlocale(LC_ALL_MASK, "C", nullptr)) {
    if (locale_ != nullptr) {
      previous_ = ::uselocale(locale_);
    }
  }
  ~ScopedCLocale() {
    if (locale_ != nullptr) {
      ::uselocale(previous_);
      ::freelocale(locale_);
    }
  }
  ScopedCLocale(const ScopedCLocale&) = delete;
  ScopedCLocale& operator=(const ScopedCLocale&) = delete;

 private:
  locale_t locale_;
  locale_t previous_ = nullptr;
};

Error named(const UnpackTarget& target, std::string_view where, const Error& e) {
  return Error(e.code, fmt::format("layer {}: {}: {}", target.label, where, e.message));
}

// Extracts the whole stream into `root_dir`; every error names the layer and the entry.
Result<LayerStats> extractAll(layer::ByteSource& source, const std::filesystem::path& root_dir,
                              const UnpackTarget& target, const UnpackOptions& opts) {
  Result<fs::RootDir> root = fs::RootDir::open(root_dir, opts.force_walk_resolver_for_test);
  if (!root) {
    return fail(named(target, "opening the target", root.error()));
  }
  Result<std::unique_ptr<tar::ArchiveReader>> reader = tar::ArchiveReader::open(source);
  if (!reader) {
    return fail(named(target, "at the start of the archive", reader.error()));
  }
  extract::Extractor extractor(*root, **reader, target.mode, opts);
  std::string last = "at the start of the archive";
  for (;;) {
    Result<std::optional<tar::EntryHeader>> header = (*reader)->next();
    if (!header) {
      return fail(named(target, last, header.error()));
    }
    if (!*header) {
      break;
    }
    last = "entry '" + tar::quoteName((*header)->name) + "'";
    if (Status st = extractor.extract(**header); !st) {
      return fail(named(target, last, st.error()));
    }
    last = "after " + last;
  }
  // The archive may end before the stream does (padding after the end blocks): read the
  // rest so the checks of the stages before us (digests) run.
  if (Result<std::uint64_t> rest = layer::drain(source); !rest) {
    return fail(named(target, "after the end of the archive", rest.error()));
  }
  if (Status st = extractor.finish(); !st) {
    return fail(named(target, "applying directory metadata", st.error()));
  }
  return extractor.stats();
}

Result<LayerStats> unpackOverlayLayer(layer::ByteSource& source, const UnpackTarget& target,
                                      const UnpackOptions& opts) {
  const std::filesystem::path parent =
      target.dir.has_parent_path() ? target.dir.parent_path() : std::filesystem::path(".");
  const std::string name = target.dir.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return fail(Code::kInvalidArgument, "layer {}: target directory '{}' has no name", target.label,
                target.dir.string());
  }
  UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd.valid()) {
    return fail(errnoError(errno, "layer " + target.label + ": opening " + parent.string()));
  }
  struct stat st {};
  if (::fstatat(parent_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return fail(Code::kAlreadyExists, "layer {}: target {} already exists", target.label,
                target.dir.string());
  }
  std::array<std::uint8_t, 6> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return fail(Code::kInternal, "layer {}: no randomness for the partial directory name",
                target.label);
  }
  std::string partial = name + ".partial-";
  for (const std::uint8_t b : random) {
    partial += fmt::format("{:02x}", b);
  }
  if (::mkdirat(parent_fd.get(), partial.c_str(), 0700) != 0) {
    return fail(errnoError(errno, "layer " + target.label + ": creating " + partial));
  }
  Result<LayerStats> stats = extractAll(source, parent / partial, target, opts);
  if (stats && ::renameat2(parent_fd.get(), partial.c_str(), parent_fd.get(), name.c_str(),
                           RENAME_NOREPLACE) != 0) {
    stats = fail(errnoError(
        errno, "layer " + target.label + ": renaming " + partial + " to " + target.dir.string()));
  }
  if (!stats) {
    // The error that matters is the first one; a failed cleanup only adds to it.
    if (Status removed = fs::removeTree(parent_fd.get(), partial); !removed) {
      stats.error().addContext("also failed to remove " + partial + ": " + removed.error().message);
    }
  }
  return stats;
}

}  // namespace

Result<LayerStats> unpackLayer(layer::ByteSource& tar, const UnpackTarget& target,
                               const UnpackOptions& opts) {
  const ScopedCLocale c_locale;
  if (target.mode == UnpackMode::kOverlayLayer) {
    return unpackOverlayLayer(tar, target, opts);
  }
  Result<LayerStats> stats = extractAll(tar, target.dir, target, opts);
  return stats;
}

}  // namespace cocoon::image::unpack
