// SPDX-License-Identifier: Apache-2.0
// JSON on nlohmann-json: size/depth-capped parsing that never throws, typed field access
// with errors that name the field, and RFC 8785 canonical serialization (JCS).
// Trust: parseJson takes attacker-controlled text (KBS requests, manifests, JOSE headers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace cocoon::json {

using Json = nlohmann::json;

// Caps applied before and while parsing (STYLE.md §5.6).
struct ParseLimits {
  std::size_t max_bytes = 4 * 1024 * 1024;
  std::size_t max_depth = 64;
};

// Parses one JSON text. Fails with kInvalidArgument on malformed JSON (message has the
// byte offset), invalid UTF-8, duplicate object keys, or trailing content, and with
// kResourceExhausted when the text exceeds limits.max_bytes or nests deeper than
// limits.max_depth. Never throws. A leading byte order mark is rejected. Error offsets
// are 0-based: the byte where the parser stopped (the text's size for truncated input).
Result<Json> parseJson(std::string_view text, const ParseLimits& limits = {});

// Typed access to a member of an object. Each fails with kInvalidArgument naming `key`
// when `object` is not an object, the member is missing, or it has another type.
// getInt takes integers only (not 1.0) and fails for unsigned values above INT64_MAX.
Result<std::string> getString(const Json& object, std::string_view key);
Result<std::int64_t> getInt(const Json& object, std::string_view key);
Result<bool> getBool(const Json& object, std::string_view key);
Result<const Json*> getObject(const Json& object, std::string_view key);
Result<const Json*> getArray(const Json& object, std::string_view key);
// nullptr when the member is absent; an error when present with the wrong type.
Result<const std::string*> getOptionalString(const Json& object, std::string_view key);

// Compact serialization (no whitespace), UTF-8 kept as is. Never throws: invalid UTF-8
// in strings is replaced (only possible for values built in memory, not parsed ones).
std::string dumpCompact(const Json& value);

// RFC 8785 JSON Canonicalization Scheme: object members sorted by their UTF-16 code
// units, numbers in ECMAScript shortest form, strings with minimal escaping. Fails with
// kInvalidArgument for numbers JCS cannot represent (NaN, infinities) or integers beyond
// ±2^53 that would lose precision as IEEE-754 doubles. An integer beyond ±2^53 is kept
// only when its digits already are the ECMAScript text of the double it denotes (e.g.
// 1152921504606847000): so canonicalize(parseJson(c)) == c for every canonical text c,
// and a number's written value never changes; 2^53 + 1 and 2^64 - 1 are rejected.
// Also kInvalidArgument for ill-formed UTF-8 in a string or member name, and for binary
// values; kResourceExhausted past 1000 nesting levels (values built in memory).
Result<std::string> canonicalize(const Json& value);

}  // namespace cocoon::json
