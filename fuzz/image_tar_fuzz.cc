// SPDX-License-Identifier: Apache-2.0
// Fuzzes hostile-tar extraction: arbitrary bytes unpacked as an overlay layer and applied
// onto a tree in a temp dir with small limits; nothing may appear outside the targets and
// a failed overlay layer must leave nothing behind.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "common/files.h"
#include "image/layer/byte_source.h"
#include "image/unpack/unpack.h"

namespace {

namespace fs = std::filesystem;
using cocoon::image::unpack::UnpackMode;

class BytesSource : public cocoon::image::layer::ByteSource {
 public:
  BytesSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  cocoon::Result<std::size_t> read(std::span<std::uint8_t> out) override {
    // Short reads on purpose: libarchive must stitch headers across them.
    const std::size_t n = std::min({out.size(), size_ - pos_, std::size_t{1000}});
    if (n > 0) {
      std::memcpy(out.data(), data_ + pos_, n);
      pos_ += n;
    }
    return n;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

const fs::path& workDir() {
  static std::optional<cocoon::TempDir> dir;
  if (!dir) {
    auto created = cocoon::TempDir::create("image-tar-fuzz");
    if (!created) {
      std::abort();
    }
    dir.emplace(std::move(*created));
  }
  return dir->path();
}

bool onlyNames(const fs::path& dir, std::initializer_list<const char*> allowed) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; })) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& base = workDir();
  cocoon::image::unpack::UnpackOptions opts;
  opts.max_entries = 64;
  opts.max_path_length = 1024;
  opts.max_total_bytes = 1 << 20;
  opts.max_xattr_size = 1024;
  opts.privileged = false;
  opts.devices_when_unprivileged = cocoon::image::unpack::Unsupported::kSkip;

  BytesSource overlay_source(data, size);
  const auto overlay = cocoon::image::unpack::unpackLayer(
      overlay_source, {UnpackMode::kOverlayLayer, base / "layer", "fuzz"}, opts);
  if (!overlay && fs::exists(fs::symlink_status(base / "layer"))) {
    std::abort();  // a failed layer left something behind
  }

  fs::create_directory(base / "flat");
  BytesSource apply_source(data, size);
  (void)cocoon::image::unpack::unpackLayer(apply_source,
                                           {UnpackMode::kApplyOnto, base / "flat", "fuzz"}, opts);
  if (!onlyNames(base, {"layer", "flat"})) {
    std::abort();  // something was written outside the targets
  }
  std::error_code ec;
  fs::remove_all(base / "layer", ec);
  fs::remove_all(base / "flat", ec);
  return 0;
}
