// SPDX-License-Identifier: Apache-2.0
// Encoders and strict decoders for hex, base64 and base64url.
#include "common/encoding.h"

#include <array>

namespace cocoon {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xff;

using DecodeTable = std::array<std::uint8_t, 256>;

constexpr DecodeTable makeTable(std::string_view alphabet) {
  DecodeTable table{};
  for (auto& v : table) {
    v = kInvalid;
  }
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr DecodeTable kStdTable = makeTable(kStdAlphabet);
constexpr DecodeTable kUrlTable = makeTable(kUrlAlphabet);

std::string encode64(ByteSpan in, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | std::uint32_t{in[i + 2]};
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

// Decodes unpadded base64 text of a valid length with the given table.
Result<Bytes> decode64(std::string_view text, const DecodeTable& table, std::string_view what) {
  if (text.size() % 4 == 1) {
    return fail(Code::kInvalidArgument, "{}: invalid length {}", what, text.size());
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t v = table[static_cast<unsigned char>(text[i])];
    if (v == kInvalid) {
      return fail(Code::kInvalidArgument, "{}: invalid character at offset {}", what, i);
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(Code::kInvalidArgument, "{}: non-zero padding bits in the last character", what);
  }
  return out;
}

}  // namespace

std::string hexEncode(ByteSpan bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

Result<Bytes> hexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return fail(Code::kInvalidArgument, "hex: odd length {}", text.size());
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(Code::kInvalidArgument, "hex: invalid character at offset {}",
                  hi < 0 ? i : i + 1);
    }
    out[i / 2] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string base64Encode(ByteSpan bytes) {
  return encode64(bytes, kStdAlphabet, true);
}

Result<Bytes> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return fail(Code::kInvalidArgument, "base64: length {} is not a multiple of 4", text.size());
  }
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  return decode64(text.substr(0, text.size() - pad), kStdTable, "base64");
}

std::string base64UrlEncode(ByteSpan bytes) {
  return encode64(bytes, kUrlAlphabet, false);
}

Result<Bytes> base64UrlDecode(std::string_view text) {
  return decode64(text, kUrlTable, "base64url");
}

}  // namespace cocoon
