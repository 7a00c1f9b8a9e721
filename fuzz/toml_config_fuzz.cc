// SPDX-License-Identifier: Apache-2.0
// Fuzzes config parsing: parseToml on arbitrary bytes (size and nesting caps, toml++
// errors turned into values), then every typed getter and the unknown-key check on each
// table of what parsed, so the wrong-type and location paths run on odd documents too.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/toml.h"

namespace {

void exercise(const toml::table& table, std::size_t depth) {
  if (depth > cocoon::kMaxTomlNesting) {
    std::abort();  // the nesting cap let a deeper document through
  }
  (void)cocoon::rejectUnknownKeys(table, {"a", "b"}, "[fuzz]");
  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    (void)cocoon::getString(table, name, "");
    (void)cocoon::getBool(table, name, false);
    (void)cocoon::getInt(table, name, 0, -10, 10);
    (void)cocoon::getDouble(table, name, 0);
    (void)cocoon::getStringArray(table, name);
    auto sub = cocoon::getTable(table, name);
    if (sub && *sub != nullptr) {
      exercise(**sub, depth + 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = cocoon::parseToml(text, "fuzz.toml");
  if (table) {
    exercise(*table, 1);
  } else if (table.error().code != cocoon::Code::kInvalidArgument &&
             table.error().code != cocoon::Code::kResourceExhausted) {
    std::abort();
  }
  return 0;
}
