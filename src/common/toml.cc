// SPDX-License-Identifier: Apache-2.0
// parseToml (size and nesting caps before toml++ sees the text) and typed getters.
#include "common/toml.h"

#include <algorithm>
#include <utility>

#include "common/files.h"

namespace cocoon {
namespace {

bool isBareChar(char c) {
  // Bare keys, plus what numbers, dates and times are made of, so "1.5" or
  // "07:32:00.999" are read as chains like dotted keys are.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+' || c == ':';
}

// The offset just past the string that starts at `i` (basic or literal, single- or
// multi-line); the end of the line for an unterminated single-line string, the end of
// the text for an unterminated multi-line one. toml++ reports either.
std::size_t skipString(std::string_view text, std::size_t i) {
  const char quote = text[i];
  const bool basic = quote == '"';
  const bool multiline = text.substr(i, 3) == std::string(3, quote);
  std::size_t j = i + (multiline ? 3 : 1);
  while (j < text.size()) {
    const char c = text[j];
    if (basic && c == '\\') {
      j += 2;
      continue;
    }
    if (!multiline && c == '\n') {
      return j;
    }
    if (c == quote && (!multiline || text.substr(j, 3) == std::string(3, quote))) {
      j += multiline ? 3 : 1;
      // A multi-line string may end with up to two quotes of content before the closer.
      for (int extra = 0; multiline && extra < 2 && j < text.size() && text[j] == quote; ++extra) {
        ++j;
      }
      return j;
    }
    ++j;
  }
  return text.size();
}

// A conservative estimate of the nesting toml++ will build, checked without recursion:
// the dotted key of the last table header, open brackets and braces, the dotted key that
// led to each, and the dotted chain being read. Returns the offset where it first
// exceeds kMaxTomlNesting, or npos. Arrays of tables may double the header's share.
std::size_t findExcessiveNesting(std::string_view text) {
  std::vector<std::size_t> open;  // the depth each open '[' or '{' adds
  std::size_t open_depth = 0;
  std::size_t table_depth = 0;  // segments of the last [header] or [[header]]
  std::size_t key_chain = 0;    // segments of the key before the last '='
  std::size_t chain = 0;        // segments of the dotted chain being read
  bool after_dot = false;
  bool line_start = true;
  bool in_header = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    const char c = text[i];
    if (c == '#') {
      i = std::min(text.find('\n', i), text.size());
      continue;
    }
    const bool was_line_start = line_start;
    line_start = c == '\n' || (line_start && (c == ' ' || c == '\t' || c == '\r'));
    if (c == '"' || c == '\'' || isBareChar(c)) {
      if (isBareChar(c)) {
        while (i < text.size() && isBareChar(text[i])) {
          ++i;
        }
      } else {
        i = skipString(text, i);
      }
      chain = after_dot && chain > 0 ? chain + 1 : 1;
      after_dot = false;
      const std::size_t base = in_header ? 0 : table_depth;
      if (base + open_depth + key_chain + chain > kMaxTomlNesting) {
        return start;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '.':
        after_dot = true;
        break;
      case ' ':
      case '\t':
        break;
      case '=':
        key_chain = chain;
        chain = 0;
        after_dot = false;
        break;
      case '[':
      case '{':
        if (c == '[' && was_line_start && open.empty()) {
          in_header = true;
        }
        open.push_back(key_chain + 1);
        open_depth += key_chain + 1;
        key_chain = 0;
        chain = 0;
        after_dot = false;
        if ((in_header ? 0 : table_depth) + open_depth > kMaxTomlNesting) {
          return start;
        }
        break;
      default:
        if ((c == ']' || c == '}') && !open.empty()) {
          open_depth -= open.back();
          open.pop_back();
          if (in_header && c == ']' && chain > 0) {
            table_depth = chain;  // the header's key, read just before its first ']'
          }
          if (open.empty()) {
            in_header = false;
          }
        }
        if (c == ']' || c == '}' || c == ',' || c == '\n') {
          key_chain = 0;
        }
        chain = 0;
        after_dot = false;
        break;
    }
  }
  return std::string_view::npos;
}

// 1-based line and byte column of `offset`.
std::pair<std::size_t, std::size_t> lineAndColumn(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const auto line = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return {line + 1, column};
}

std::string_view typeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "none";
}

// "path:line:column: " for nodes that came from parseToml; "" for ones built in memory.
std::string location(const toml::source_region& source) {
  if (!source.path || source.begin.line == 0) {
    return {};
  }
  return fmt::format("{}:{}:{}: ", *source.path, source.begin.line, source.begin.column);
}

Error wrongType(const toml::node& node, std::string_view key, std::string_view expected) {
  return makeError(Code::kInvalidArgument, "{}key {:?}: expected {}, found {}",
                   location(node.source()), key, expected, typeName(node.type()));
}

template <class T>
Result<T> syntaxError(const toml::parse_error& error, std::string_view source_name) {
  return fail(Code::kInvalidArgument, "{}:{}:{}: {}", source_name, error.source().begin.line,
              error.source().begin.column, error.description());
}

}  // namespace

Result<toml::table> parseToml(std::string_view text, std::string_view source_name,
                              std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return fail(Code::kResourceExhausted, "{}: {} bytes exceed the limit of {} bytes", source_name,
                text.size(), max_bytes);
  }
  if (const std::size_t at = findExcessiveNesting(text); at != std::string_view::npos) {
    const auto [line, column] = lineAndColumn(text, at);
    return fail(Code::kResourceExhausted, "{}:{}:{}: nesting deeper than {} levels", source_name,
                line, column, kMaxTomlNesting);
  }
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return syntaxError<toml::table>(error, source_name);
  }
#else
  toml::parse_result parsed = toml::parse(text, source_name);
  if (!parsed) {
    return syntaxError<toml::table>(parsed.error(), source_name);
  }
  return std::move(parsed).table();
#endif
}

Result<toml::table> readTomlFile(const std::filesystem::path& path, std::size_t max_bytes) {
  COCOON_ASSIGN_OR_RETURN(const std::string text, readTextFile(path, max_bytes));
  return parseToml(text, path.string(), max_bytes);
}

Status rejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                         std::string_view where) {
  const toml::key* first = nullptr;
  for (const auto& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) {
      continue;
    }
    const auto position = [](const toml::key* k) {
      return std::pair(k->source().begin.line, k->source().begin.column);
    };
    if (first == nullptr || position(&key) < position(first)) {
      first = &key;
    }
  }
  if (first == nullptr) {
    return okStatus();
  }
  return fail(Code::kInvalidArgument, "{}unknown key {:?} in {}; known keys: {}",
              location(first->source()), first->str(), where, fmt::join(known, ", "));
}

Result<std::string> getString(const toml::table& table, std::string_view key,
                              std::string_view default_value) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::string(default_value);
  }
  if (const auto* value = node->as_string()) {
    return value->get();
  }
  return fail(wrongType(*node, key, "string"));
}

Result<bool> getBool(const toml::table& table, std::string_view key, bool default_value) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return default_value;
  }
  if (const auto* value = node->as_boolean()) {
    return value->get();
  }
  return fail(wrongType(*node, key, "boolean"));
}

Result<std::int64_t> getInt(const toml::table& table, std::string_view key,
                            std::int64_t default_value, std::int64_t min, std::int64_t max) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return default_value;
  }
  const auto* value = node->as_integer();
  if (value == nullptr) {
    return fail(wrongType(*node, key, "integer"));
  }
  if (value->get() < min || value->get() > max) {
    return fail(Code::kInvalidArgument, "{}key {:?}: {} is outside [{}, {}]",
                location(node->source()), key, value->get(), min, max);
  }
  return value->get();
}

Result<double> getDouble(const toml::table& table, std::string_view key, double default_value) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return default_value;
  }
  if (const auto* value = node->as_floating_point()) {
    return value->get();
  }
  if (const auto* value = node->as_integer()) {
    return static_cast<double>(value->get());
  }
  return fail(wrongType(*node, key, "float"));
}

Result<std::vector<std::string>> getStringArray(const toml::table& table, std::string_view key,
                                                std::vector<std::string> default_value) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return default_value;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return fail(wrongType(*node, key, "array of strings"));
  }
  std::vector<std::string> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* value = element.as_string();
    if (value == nullptr) {
      return fail(wrongType(element, fmt::format("{}[{}]", key, i), "string"));
    }
    out.push_back(value->get());
  }
  return out;
}

Result<const toml::table*> getTable(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (const auto* value = node->as_table()) {
    return value;
  }
  return fail(wrongType(*node, key, "table"));
}

}  // namespace cocoon
