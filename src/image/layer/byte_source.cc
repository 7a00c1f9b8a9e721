// SPDX-License-Identifier: Apache-2.0
// Helpers over any ByteSource.
#include "image/layer/byte_source.h"

#include <array>

namespace cocoon::image::layer {

Result<std::size_t> readFull(ByteSource& source, std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    COCOON_ASSIGN_OR_RETURN(std::size_t n, source.read(out.subspan(filled)));
    if (n == 0) {
      break;
    }
    filled += n;
  }
  return filled;
}

Result<std::uint64_t> drain(ByteSource& source) {
  std::array<std::uint8_t, 16 * 1024> scratch{};
  std::uint64_t total = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(std::size_t n, source.read(scratch));
    if (n == 0) {
      return total;
    }
    total += n;
  }
}

}  // namespace cocoon::image::layer
