// SPDX-License-Identifier: Apache-2.0
// Compact JSON written straight into a string, byte for byte what json::dumpCompact writes
// for the same document, without building a json::Json first (the EAR claims of every
// token). Trust: writes what the KBS built; the strings may hold anything (invalid UTF-8
// is replaced with U+FFFD exactly as dumpCompact replaces it). It parses nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json/json.h"

namespace cocoon::kbs::token::internal {

// Appends `text` as a JSON string: quotes, the escapes dumpCompact uses (\" \\ \b \f \n
// \r \t, \u00xx in lower-case hex for the other control characters), UTF-8 kept as is.
void appendJsonString(std::string& out, std::string_view text);

// Appends `value` as dumpCompact(value) would write it (objects sorted by key, as
// json::Json keeps them).
void appendJson(std::string& out, const json::Json& value);

// Writes one JSON document into `out` (appending). dumpCompact sorts an object's members
// by key (byte order), so callers add members in that order for the same bytes; keys are
// not checked. Each value goes after key() or at the top level; the writer only places
// the commas.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view text);
  JsonWriter& integer(std::int64_t number);
  JsonWriter& boolean(bool flag);
  JsonWriter& value(const json::Json& value);

 private:
  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace cocoon::kbs::token::internal
