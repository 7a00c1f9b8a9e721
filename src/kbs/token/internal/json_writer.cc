// SPDX-License-Identifier: Apache-2.0
// Compact JSON writer matching nlohmann's dump(-1) with error_handler_t::replace.
#include "kbs/token/internal/json_writer.h"

#include <array>
#include <charconv>

namespace cocoon::kbs::token::internal {
namespace {

// Bytes in the well-formed UTF-8 sequence starting at text[i] (RFC 3629 §4), 0 when none
// starts there. text[i] >= 0x80.
std::size_t utf8SequenceAt(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
    return i + k < text.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) {
    return cont(1, 0x80, 0xBF) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = lead == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = lead == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void appendEscape(std::string& out, unsigned char c) {
  switch (c) {
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    default: {
      constexpr std::string_view kHex = "0123456789abcdef";
      const std::array<char, 6> escaped{'\\',
                                        'u',
                                        '0',
                                        '0',
                                        kHex[static_cast<std::size_t>(c >> 4)],
                                        kHex[static_cast<std::size_t>(c & 0xF)]};
      out.append(escaped.data(), escaped.size());
    }
  }
}

template <class Integer>
void appendInteger(std::string& out, Integer number) {
  std::array<char, 24> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
  out.append(buffer.data(), end);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out += '"';
  std::size_t run = 0;  // first byte not yet copied
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t length = utf8SequenceAt(text, i);
      if (length == 0) {
        // dumpCompact's replacement of ill-formed UTF-8 (how many bytes one U+FFFD covers
        // is nlohmann's decoder's business): let it write this string.
        out.resize(start);
        out += json::dumpCompact(json::Json(std::string(text)));
        return;
      }
      i += length;
      continue;
    }
    out.append(text.data() + run, i - run);
    appendEscape(out, c);
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
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
