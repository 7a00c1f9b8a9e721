// SPDX-License-Identifier: Apache-2.0
// UTF-8 decoding (RFC 3629) and JSON string literal escaping.
#include "json/string_literal.h"

#include <array>

namespace cocoon::json {
namespace {

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

}  // namespace

bool decodeUtf8(std::string_view text, std::size_t& i, std::uint32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead < 0x80) {
    code_point = lead;
    ++i;
    return true;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0Fu;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07u;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return false;
  }
  if (text.size() - i < length) {
    return false;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if (next < low || next > high) {
      return false;
    }
    low = 0x80;
    high = 0xBF;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  i += length;
  return true;
}

std::optional<std::size_t> appendStringLiteral(std::string& out, std::string_view text) {
  out += '"';
  std::size_t run = 0;  // first byte not yet copied: plain characters are copied in runs
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::uint32_t code_point = 0;
      if (!decodeUtf8(text, i, code_point)) {
        return i;
      }
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    appendEscape(out, c);
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
  return std::nullopt;
}

}  // namespace cocoon::json
