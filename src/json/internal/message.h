// SPDX-License-Identifier: Apache-2.0
// Quoting of attacker-controlled JSON keys for error messages (private to cocoon_json).
#pragma once

#include <string>
#include <string_view>

namespace cocoon::json::internal {

// `text` in double quotes for an error message: printable ASCII kept, every other byte as
// \xNN (no control characters reach logs), cut after a few dozen bytes (STYLE.md §4.4).
std::string quoteForMessage(std::string_view text);

}  // namespace cocoon::json::internal
