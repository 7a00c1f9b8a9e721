// SPDX-License-Identifier: Apache-2.0
// parseJson on nlohmann's SAX parser (size, depth and duplicate-key checks), typed getters
// and compact serialization.
#include "json/json.h"

#include <cstddef>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "json/internal/message.h"

namespace cocoon::json {
namespace {

using internal::quoteForMessage;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Longest "; expected <token>" tail kept from a parser message.
constexpr std::size_t kMaxExpectedTail = 40;

// Input iterator over the text that publishes how far nlohmann's lexer has read, so errors
// raised inside the SAX handler (duplicate key, depth) can name a byte offset.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* position, const char** high_water)
      : position_(position), high_water_(high_water) {}

  reference operator*() const { return *position_; }
  TrackingIterator& operator++() {
    ++position_;
    *high_water_ = position_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const TrackingIterator& other) const { return position_ == other.position_; }

 private:
  const char* position_;
  const char** high_water_;
};

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2:
// syntax error while parsing value - <reason>; last read: '<token>'; expected <token>".
// Keeps the fixed-text parts: the token read may be megabytes of attacker data.
std::string describeParseError(const Json::exception& error) {
  const std::string_view what = error.what();
  if (error.id == 406) {
    return "number out of range";
  }
  const std::size_t start = what.find("syntax error");
  if (start == std::string_view::npos) {
    return "parse error";
  }
  std::string_view description = what.substr(start);
  const std::size_t last_read = description.find("; last read: '");
  if (last_read == std::string_view::npos) {
    return std::string(description);
  }
  std::string result(description.substr(0, last_read));
  constexpr std::string_view kExpected = "'; expected ";
  const std::size_t expected = description.rfind(kExpected);
  if (expected != std::string_view::npos && expected > last_read &&
      description.size() - expected < kMaxExpectedTail) {
    result += description.substr(expected + 1);
  }
  return result;
}

// Builds the DOM from SAX events, as nlohmann's own DOM parser does, but stops at the first
// duplicate key or container nested deeper than the limit.
class DomBuilder {
 public:
  DomBuilder(const ParseLimits& limits, const char* begin, const char* const* high_water)
      : limits_(limits), begin_(begin), high_water_(high_water) {}

  // SAX interface; the names are nlohmann's.
  // NOLINTBEGIN(readability-identifier-naming)
  bool null() { return put(Json(nullptr)); }
  bool boolean(bool value) { return put(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return put(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return put(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    return put(Json(value));
  }
  bool string(Json::string_t& value) { return put(Json(std::move(value))); }
  bool binary(Json::binary_t& /*value*/) { return false; }  // JSON text has no binary values
  bool start_object(std::size_t /*elements*/) { return open(Json::value_t::object); }
  bool start_array(std::size_t /*elements*/) { return open(Json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(Json::string_t& name) {
    auto& members = open_.back()->get_ref<Json::object_t&>();
    auto [it, inserted] = members.try_emplace(name, nullptr);
    if (!inserted) {
      // RFC 8259 §4 leaves duplicates to the parser; accepting any choice lets two
      // readers of one signed header disagree, so none is accepted.
      error_ = makeError(Code::kInvalidArgument,
                         "json: duplicate object key {} ending at byte offset {}",
                         quoteForMessage(name), offset());
      return false;
    }
    member_ = &it->second;
    return true;
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const Json::exception& error) {
    error_ = makeError(Code::kInvalidArgument, "json: {} at byte offset {}",
                       describeParseError(error), position > 0 ? position - 1 : 0);
    return false;
  }
  // NOLINTEND(readability-identifier-naming)

  Json takeRoot() { return std::move(root_); }
  Error takeError() {
    return error_ ? std::move(*error_) : Error(Code::kInternal, "json: parser stopped silently");
  }

 private:
  // Offset of the last byte the lexer has read.
  std::size_t offset() const {
    const auto read = static_cast<std::size_t>(*high_water_ - begin_);
    return read > 0 ? read - 1 : 0;
  }

  bool put(Json&& value) { return place(std::move(value)) != nullptr; }

  Json* place(Json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    *member_ = std::move(value);
    return member_;
  }

  bool open(Json::value_t type) {
    if (open_.size() >= limits_.max_depth) {
      error_ = makeError(Code::kResourceExhausted,
                         "json: nesting deeper than {} levels at byte offset {}", limits_.max_depth,
                         offset());
      return false;
    }
    // Elements already placed are never touched again, so pointers to open containers
    // stay valid while their siblings are appended.
    open_.push_back(place(Json(type)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  const ParseLimits& limits_;
  const char* begin_;
  const char* const* high_water_;
  Json root_;
  std::vector<Json*> open_;
  Json* member_ = nullptr;
  std::optional<Error> error_;
};

Result<const Json*> findMember(const Json& object, std::string_view key) {
  if (!object.is_object()) {
    return fail(Code::kInvalidArgument, "json: expected an object holding field \"{}\", found {}",
                key, object.type_name());
  }
  const auto it = object.find(key);
  if (it == object.end()) {
    return fail(Code::kInvalidArgument, "json: missing field \"{}\"", key);
  }
  return &*it;
}

Error wrongType(std::string_view key, std::string_view expected, const Json& found) {
  return makeError(Code::kInvalidArgument, "json: field \"{}\": expected {}, found {}", key,
                   expected, found.type_name());
}

}  // namespace

namespace internal {

std::string quoteForMessage(std::string_view text) {
  constexpr std::size_t kMaxBytes = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxBytes; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  out += text.size() > kMaxBytes ? "\"..." : "\"";
  return out;
}

}  // namespace internal

Result<Json> parseJson(std::string_view text, const ParseLimits& limits) {
  // STYLE.md §5.6: the size cap comes before any work on the text.
  if (text.size() > limits.max_bytes) {
    return fail(Code::kResourceExhausted, "json: input of {} bytes exceeds the limit of {} bytes",
                text.size(), limits.max_bytes);
  }
  // RFC 8259 §8.1 lets parsers ignore a BOM; nlohmann does, other readers may not.
  if (text.starts_with(kUtf8Bom)) {
    return fail(Code::kInvalidArgument, "json: byte order mark at byte offset 0");
  }
  // nlohmann's lexer ends the input at a NUL byte, which would let "{}\0<anything>" pass;
  // no JSON text holds a raw NUL (strings must escape it).
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return fail(Code::kInvalidArgument, "json: NUL byte at byte offset {}", nul);
  }
  const char* high_water = text.data();
  DomBuilder builder(limits, text.data(), &high_water);
  try {
    const bool ok = Json::sax_parse(TrackingIterator(text.data(), &high_water),
                                    TrackingIterator(text.data() + text.size(), &high_water),
                                    &builder, Json::input_format_t::json, /*strict=*/true,
                                    /*ignore_comments=*/false);
    if (!ok) {
      return fail(builder.takeError());
    }
  } catch (const Json::exception& e) {
    return fail(Code::kInternal, "json: parser threw: {}", describeParseError(e));
  }
  return builder.takeRoot();
}

Result<std::string> getString(const Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (!member->is_string()) {
    return fail(wrongType(key, "string", *member));
  }
  return member->get_ref<const std::string&>();
}

Result<std::int64_t> getInt(const Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (member->is_number_unsigned()) {
    const auto value = member->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail(Code::kInvalidArgument, "json: field \"{}\": integer {} exceeds int64", key,
                  value);
    }
    return static_cast<std::int64_t>(value);
  }
  if (!member->is_number_integer()) {
    return fail(wrongType(key, "integer", *member));
  }
  return member->get<std::int64_t>();
}

Result<bool> getBool(const Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (!member->is_boolean()) {
    return fail(wrongType(key, "boolean", *member));
  }
  return member->get<bool>();
}

Result<const Json*> getObject(const Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (!member->is_object()) {
    return fail(wrongType(key, "object", *member));
  }
  return member;
}

Result<const Json*> getArray(const Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (!member->is_array()) {
    return fail(wrongType(key, "array", *member));
  }
  return member;
}

Result<const std::string*> getOptionalString(const Json& object, std::string_view key) {
  if (object.is_object() && !object.contains(key)) {
    return nullptr;
  }
  COCOON_ASSIGN_OR_RETURN(const Json* member, findMember(object, key));
  if (!member->is_string()) {
    return fail(wrongType(key, "string", *member));
  }
  return &member->get_ref<const std::string&>();
}

std::string dumpCompact(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace cocoon::json
