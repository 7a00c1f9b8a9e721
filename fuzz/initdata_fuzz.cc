// SPDX-License-Identifier: Apache-2.0
// Fuzzes the guest's init-data readers: the block image (header, gzip, padding), the
// annotation (base64, gzip) and the TOML document, each capped and strict. Whatever
// parses as a document must render back to a document that parses to the same content.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "runtime/tee/initdata.h"

namespace {

namespace tee = cocoon::runtime::tee;

void checkDocument(std::string_view toml) {
  auto parsed = tee::parseInitDataToml(toml);
  if (!parsed) {
    return;
  }
  auto rebuilt = tee::buildInitData(*parsed);
  if (!rebuilt && rebuilt.error().code == cocoon::Code::kInternal) {
    std::abort();  // buildInitData found that its rendering reads back differently
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cocoon::ByteSpan bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto toml = tee::decodeInitDataBlock(bytes)) {
    if (toml->size() > tee::kMaxInitDataTomlBytes) {
      std::abort();  // the output cap let more through
    }
    checkDocument(*toml);
  }
  if (auto toml = tee::decodeInitDataAnnotation(text)) {
    checkDocument(*toml);
  }
  checkDocument(text);
  return 0;
}
