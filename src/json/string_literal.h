// SPDX-License-Identifier: Apache-2.0
// JSON string literals as both RFC 8785 (JCS) and nlohmann's dump write them, and the
// UTF-8 decoding they check the text with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cocoon::json {

// Decodes the UTF-8 sequence at text[i] and advances i past it. Well-formed means RFC 3629
// §4: no overlong forms, no encoded surrogates, nothing above U+10FFFF. False (i unchanged)
// for an ill-formed sequence. REQUIRES: i < text.size().
bool decodeUtf8(std::string_view text, std::size_t& i, std::uint32_t& code_point);

// Appends `text` as a JSON string literal: quotes, the two-character escapes \" \\ \b \f \n
// \r \t, \u00xx in lower-case hex for the other control characters, every other character
// as its UTF-8 bytes (RFC 8785 §3.2.2.2; also nlohmann's dump without ensure_ascii).
// Returns the byte offset in `text` of the first ill-formed UTF-8 sequence, and then what
// was appended is unspecified; nullopt when the whole literal was appended.
std::optional<std::size_t> appendStringLiteral(std::string& out, std::string_view text);

}  // namespace cocoon::json
