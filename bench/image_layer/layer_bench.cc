// SPDX-License-Identifier: Apache-2.0
// Times one pass of a .tar.gz file through the layer decompressor (file -> GzipSource ->
// discard) on the calling thread and prints "<uncompressed bytes> <seconds>".
// Usage: image_layer_bench FILE [gzip|zstd|none [INPUT_BUFFER_KIB]]. run.sh drives it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "image/layer/decompress.h"

namespace {

using cocoon::Result;
using cocoon::image::layer::ByteSource;

// The file as the download stage would hand it over: plain reads into the caller's buffer.
class FileSource : public ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    for (;;) {
      const ssize_t n = ::read(fd_, out.data(), out.size());
      if (n >= 0) {
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) {
        return cocoon::fail(cocoon::Code::kInternal, "read: {}", std::strerror(errno));
      }
    }
  }

 private:
  int fd_;
};

}  // namespace

int main(int argc, char** argv) {
  using cocoon::image::layer::Compression;
  if (argc < 2) {
    std::fprintf(stderr, "usage: image_layer_bench FILE [gzip|zstd|none]\n");
    return 2;
  }
  const std::string_view kind = argc > 2 ? argv[2] : "gzip";
  const Compression compression = kind == "zstd"   ? Compression::kZstd
                                  : kind == "none" ? Compression::kNone
                                                   : Compression::kGzip;
  const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "image_layer_bench: %s: %s\n", argv[1], std::strerror(errno));
    return 2;
  }
  FileSource file(fd);
  // The extraction stage reads in blocks of this size.
  std::vector<std::uint8_t> buffer(128 * 1024);
  const auto start = std::chrono::steady_clock::now();
  cocoon::image::layer::DecompressLimits limits;
  if (argc > 3) {
    limits.input_buffer_bytes = std::strtoul(argv[3], nullptr, 10) * 1024;
  }
  auto source = cocoon::image::layer::openDecompressor(compression, file, limits);
  std::uint64_t total = 0;
  while (source) {
    auto n = (*source)->read(buffer);
    if (!n) {
      std::fprintf(stderr, "image_layer_bench: %s\n", n.error().toString().c_str());
      return 1;
    }
    if (*n == 0) {
      break;
    }
    total += *n;
  }
  if (!source) {
    std::fprintf(stderr, "image_layer_bench: %s\n", source.error().toString().c_str());
    return 1;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  std::printf("%llu %.6f\n", static_cast<unsigned long long>(total), elapsed.count());
  return 0;
}
