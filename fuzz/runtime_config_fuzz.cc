// SPDX-License-Identifier: Apache-2.0
// Fuzzes the runtime's config.toml: parseToml then parseRuntimeConfig on arbitrary
// bytes; every failure must be a value with kInvalidArgument or kResourceExhausted.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/toml.h"
#include "runtime/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = cocoon::parseToml(text, "config.toml");
  if (!table) {
    return 0;
  }
  auto config = cocoon::runtime::config::parseRuntimeConfig(*table, "/etc/cocoon");
  if (!config && config.error().code != cocoon::Code::kInvalidArgument) {
    std::abort();  // config errors are the operator's: always kInvalidArgument
  }
  return 0;
}
