// SPDX-License-Identifier: Apache-2.0
// Fuzzes ByteReader with a small length-prefixed format driven by the input itself: the
// first byte picks the order of reads, lengths come from the data, so every bounds check
// is exercised against attacker-chosen lengths.
#include <cstdint>
#include <cstdlib>

#include "common/byte_reader.h"

namespace {

void parseRecords(cocoon::ByteReader& in, int depth) {
  while (in.remaining() > 0) {
    auto tag = in.readU8();
    if (!tag) {
      return;
    }
    const std::size_t before = in.offset();
    switch (*tag % 8) {
      case 0:
        (void)in.readU16Le();
        break;
      case 1:
        (void)in.readU32Be();
        break;
      case 2:
        (void)in.readU64Le();
        break;
      case 3: {
        auto len = in.readU32Le();
        if (len) {
          (void)in.readSpan(*len);
        }
        break;
      }
      case 4: {
        auto len = in.readU16Be();
        if (len && depth < 8) {
          if (auto sub = in.subReader(*len)) {
            parseRecords(*sub, depth + 1);
          }
        }
        break;
      }
      case 5: {
        std::array<std::uint8_t, 48> field{};
        (void)in.readArray(field);
        break;
      }
      case 6:
        (void)in.skip(*tag);
        break;
      default:
        (void)in.expectEnd();
        return;
    }
    if (in.offset() < before || in.offset() > in.size()) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cocoon::ByteReader in(cocoon::ByteSpan(data, size));
  parseRecords(in, 0);
  return 0;
}
