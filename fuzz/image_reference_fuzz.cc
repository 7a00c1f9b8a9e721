// SPDX-License-Identifier: Apache-2.0
// Fuzzes image reference and digest parsing: whatever parses must print to a reference that
// parses back to the same value (toString is a fixed point), and must obey the length rule.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/oci/platform.h"
#include "image/oci/reference.h"

namespace oci = cocoon::image::oci;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)oci::parseDigest(text);
  (void)oci::parsePlatform(text);
  auto ref = oci::parseReference(text);
  if (!ref) {
    if (ref.error().code != cocoon::Code::kInvalidArgument &&
        ref.error().code != cocoon::Code::kUnimplemented) {
      std::abort();
    }
    return 0;
  }
  if (ref->name().size() > oci::kMaxNameLength || (!ref->tag && !ref->digest)) {
    std::abort();
  }
  auto again = oci::parseReference(ref->toString());
  if (!again || again->toString() != ref->toString() || again->name() != ref->name()) {
    std::abort();
  }
  if (ref->is_short_name) {
    (void)oci::qualifyShortName(*ref, "quay.io");
  }
  return 0;
}
