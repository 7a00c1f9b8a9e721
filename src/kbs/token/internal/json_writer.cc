// SPDX-License-Identifier: Apache-2.0
// Compact JSON writer matching nlohmann's dump(-1) with error_handler_t::replace.
#include "kbs/token/internal/json_writer.h"

#include <array>
#include <charconv>

#include "json/string_literal.h"

namespace cocoon::kbs::token::internal {
namespace {

template <class Integer>
void appendInteger(std::string& out, Integer number) {
  std::array<char, 24> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
  out.append(buffer.data(), end);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  if (json::appendStringLiteral(out, text)) {
    // dumpCompact's replacement of ill-formed UTF-8 (how many bytes one U+FFFD covers is
    // nlohmann's decoder's business): let it write this string.
    out.resize(start);
    out += json::dumpCompact(json::Json(std::string(text)));
  }
}

void appendJson(std::string& out, const json::Json& value) {
  switch (value.type()) {
    case json::Json::value_t::null:
      out += "null";
      return;
    case json::Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::Json::value_t::number_integer:
      appendInteger(out, value.get<std::int64_t>());
      return;
    case json::Json::value_t::number_unsigned:
      appendInteger(out, value.get<std::uint64_t>());
      return;
    case json::Json::value_t::string:
      appendJsonString(out, value.get_ref<const std::string&>());
      return;
    case json::Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json::Json& element : value.get_ref<const json::Json::array_t&>()) {
        if (!first) {
          out += ',';
        }
        first = false;
        appendJson(out, element);
      }
      out += ']';
      return;
    }
    case json::Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [name, member] : value.get_ref<const json::Json::object_t&>()) {
        if (!first) {
          out += ',';
        }
        first = false;
        appendJsonString(out, name);
        out += ':';
        appendJson(out, member);
      }
      out += '}';
      return;
    }
    default:
      // Floating point (nlohmann's shortest round-trip form), binary, discarded: rare in
      // claims, and their text is whatever dumpCompact makes of them.
      out += json::dumpCompact(value);
      return;
  }
}

JsonWriter& JsonWriter::beginObject() {
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (need_comma_) {
    out_ += ',';
  }
  appendJsonString(out_, name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  appendJsonString(out_, text);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t number) {
  appendInteger(out_, number);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::boolean(bool flag) {
  out_ += flag ? "true" : "false";
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(const json::Json& value) {
  appendJson(out_, value);
  need_comma_ = true;
  return *this;
}

}  // namespace cocoon::kbs::token::internal
