// SPDX-License-Identifier: Apache-2.0
// Fuzzes the layer decompressors: arbitrary bytes decoded as gzip, zstd and uncompressed,
// fed in short reads, with a small output cap and window so a bomb stops early.
#include <array>
#include <cstdint>
#include <cstdlib>

#include "image/layer/decompress.h"
#include "image/layer/span_source.h"

namespace {

void decodeAll(cocoon::image::layer::Compression compression, cocoon::ByteSpan data,
               std::size_t chunk) {
  cocoon::image::layer::DecompressLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.max_zstd_window_log = 20;
  limits.input_buffer_bytes = 1024;
  cocoon::image::layer::SpanSource in(data, chunk);
  auto source = cocoon::image::layer::openDecompressor(compression, in, limits);
  if (!source) {
    return;
  }
  std::uint64_t total = 0;
  std::array<std::uint8_t, 4096> buffer{};
  for (;;) {
    auto n = (*source)->read(buffer);
    if (!n || *n == 0) {
      break;
    }
    total += *n;
    // The cap holds whatever the input: at most one read past the limit is produced.
    if (total > limits.max_output_bytes + buffer.size()) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cocoon::image::layer::Compression;
  const cocoon::ByteSpan bytes(data, size);
  // The first byte picks the read size, so refills land at every offset.
  const std::size_t chunk = size > 0 ? 1 + data[0] % 64 : 1;
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    decodeAll(c, bytes, chunk);
  }
  return 0;
}
