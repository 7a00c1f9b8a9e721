// SPDX-License-Identifier: Apache-2.0
// Config files: capped, exception-free TOML parsing (toml++) and strict typed access.
// Trust: config files come from the operator or the node's owner, not from a remote
// peer, but a typo must fail loudly, and a damaged file must not crash a daemon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "common/result.h"

namespace cocoon {

// Keys, tables and arrays may nest at most this deep (dotted keys count one level per
// segment, a value one more: `a.b = [1]` is 4 levels). toml++ recurses per level, so without this
// cap a 1 MiB file of "a.a.a..." overflows the stack.
inline constexpr std::size_t kMaxTomlNesting = 128;

// Parses one TOML document. `source_name` (usually the file path) prefixes every error
// and is kept in the nodes' source regions, so later errors can say where a value is.
// Errors: kInvalidArgument "source:line:column: <reason>" for a syntax error, a
// duplicate key, or invalid UTF-8; kResourceExhausted when `text` is larger than
// `max_bytes` or nests deeper than kMaxTomlNesting. Never throws.
Result<toml::table> parseToml(std::string_view text, std::string_view source_name,
                              std::size_t max_bytes = std::size_t{1} << 20);

// readTextFile(path, max_bytes) then parseToml with the path as source name.
// Errors: those of readTextFile (kNotFound, ...) and of parseToml.
Result<toml::table> readTomlFile(const std::filesystem::path& path,
                                 std::size_t max_bytes = std::size_t{1} << 20);

// Fails with kInvalidArgument naming the first (in document order) key of `table` that
// is not in `known`, its location, and `where` (the table's path, e.g. "[kbs.listen]").
Status rejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                         std::string_view where);

// Typed getters for optional keys: the value of `key` in `table`, or `default_value`
// when the key is absent. A present key of another type fails with kInvalidArgument
// naming the location, the key, the expected and the found type, e.g.
// `kbs.toml:3:8: key "port": expected integer, found string`.
Result<std::string> getString(const toml::table& table, std::string_view key,
                              std::string_view default_value);
Result<bool> getBool(const toml::table& table, std::string_view key, bool default_value);
// Also fails (kInvalidArgument) when the value lies outside [min, max].
Result<std::int64_t> getInt(const toml::table& table, std::string_view key,
                            std::int64_t default_value,
                            std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                            std::int64_t max = std::numeric_limits<std::int64_t>::max());
// Accepts an integer too (`timeout = 5` means 5.0).
Result<double> getDouble(const toml::table& table, std::string_view key, double default_value);
// Every element must be a string; an error names the index of the first one that is not.
Result<std::vector<std::string>> getStringArray(const toml::table& table, std::string_view key,
                                                std::vector<std::string> default_value = {});
// The sub-table at `key`, or nullptr when absent. The pointer lives as long as `table`.
Result<const toml::table*> getTable(const toml::table& table, std::string_view key);

}  // namespace cocoon
