// SPDX-License-Identifier: Apache-2.0
// Fuzzes parseJson and canonicalize: whatever parses must canonicalize to a text that parses
// again and canonicalizes to itself, and its compact dump must parse back to an equal value.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cocoon::json::canonicalize;
  using cocoon::json::parseJson;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseJson(text);
  if (!parsed) {
    return 0;
  }
  // Canonical and compact forms may be longer than the input (1e20 grows to 21 digits).
  const cocoon::json::ParseLimits unbounded{.max_bytes = std::numeric_limits<std::size_t>::max()};
  auto reparsed = parseJson(cocoon::json::dumpCompact(*parsed), unbounded);
  if (!reparsed || *reparsed != *parsed) {
    std::abort();
  }
  auto canonical = canonicalize(*parsed);
  if (!canonical) {
    return 0;  // e.g. an integer beyond 2^53 that a double cannot hold
  }
  auto again = parseJson(*canonical, unbounded);
  if (!again) {
    std::abort();
  }
  auto twice = canonicalize(*again);
  if (!twice || *twice != *canonical) {
    std::abort();
  }
  return 0;
}
