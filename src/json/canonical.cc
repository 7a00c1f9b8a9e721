// SPDX-License-Identifier: Apache-2.0
// RFC 8785 JSON Canonicalization Scheme: ECMAScript number text, minimal string escaping
// and object members ordered by UTF-16 code units.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "json/internal/message.h"
#include "json/json.h"
#include "json/string_literal.h"

namespace cocoon::json {
namespace {

constexpr std::size_t kMaxCanonicalDepth = 1000;
constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;

Error illFormedUtf8(std::size_t offset) {
  return makeError(Code::kInvalidArgument, "json: ill-formed UTF-8 at byte {} of a string", offset);
}

// RFC 8785 §3.2.3: members are ordered by the UTF-16 code units of their names, which
// differs from UTF-8 byte order once characters above U+FFFF meet U+E000..U+FFFF.
Result<std::u16string> toUtf16(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    std::uint32_t code_point = 0;
    if (!decodeUtf8(text, i, code_point)) {
      return fail(illFormedUtf8(start));
    }
    if (code_point < 0x10000) {
      out.push_back(static_cast<char16_t>(code_point));
    } else {
      code_point -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code_point >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code_point & 0x3FF)));
    }
  }
  return out;
}

// RFC 8785 §3.2.2.2 (ECMAScript JSON.stringify): the two-character escapes, \u00xx in
// lower case for the other control characters, everything else as literal UTF-8.
Status appendString(std::string_view text, std::string& out) {
  if (const auto ill_formed = appendStringLiteral(out, text)) {
    return fail(illFormedUtf8(*ill_formed));
  }
  return okStatus();
}

// ECMA-262 Number::toString (radix 10) for a finite double, the form RFC 8785 §3.2.2.3
// requires. std::to_chars gives the shortest digits that round-trip, closest to the value.
std::string ecmaScriptNumber(double value) {
  if (value == 0) {
    return "0";  // also -0
  }
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  std::array<char, 32> buffer{};
  const auto sci = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                 std::chars_format::scientific);
  // sci is "d[.ddd]e(+|-)xx": s = its digits (k of them), n = exponent + 1.
  const std::string_view text(buffer.data(), static_cast<std::size_t>(sci.ptr - buffer.data()));
  const std::size_t e_pos = text.find('e');
  std::string digits(1, text[0]);
  if (e_pos > 1) {
    digits.append(text.substr(2, e_pos - 2));
  }
  const std::string_view exponent_text =
      text.substr(text[e_pos + 1] == '+' ? e_pos + 2 : e_pos + 1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  const auto count = [](int c) { return static_cast<std::size_t>(c); };
  if (k <= n && n <= 21) {
    out += digits;
    out.append(count(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, count(n));
    out += '.';
    out.append(digits, count(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(count(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += n - 1 >= 0 ? "e+" : "e-";
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

// A JCS reader sees every number as an IEEE-754 double. Integers up to 2^53 are exact.
// Larger ones are kept only when their digits already are the ECMAScript text of the
// double they round to: canonicalization then never changes a number's written value, and
// a canonical text parsed again canonicalizes to itself.
Status appendInteger(bool negative, std::uint64_t magnitude, std::string& out) {
  const std::string digits = std::to_string(magnitude);
  if (magnitude > kMaxExactInteger && ecmaScriptNumber(static_cast<double>(magnitude)) != digits) {
    return fail(Code::kInvalidArgument,
                "json: integer {}{} beyond 2^53 has no exact IEEE-754 double form "
                "(RFC 8785 §3.2.2.3); send it as a string",
                negative ? "-" : "", digits);
  }
  if (negative) {
    out += '-';
  }
  out += digits;
  return okStatus();
}

Status appendValue(const Json& value, std::size_t depth, std::string& out);

Status appendArray(const Json& value, std::size_t depth, std::string& out) {
  out += '[';
  std::size_t index = 0;
  for (const Json& element : value) {
    if (index > 0) {
      out += ',';
    }
    if (auto status = appendValue(element, depth + 1, out); !status) {
      return fail(std::move(status.error()).addContext(fmt::format("element {}", index)));
    }
    ++index;
  }
  out += ']';
  return okStatus();
}

Status appendObject(const Json& value, std::size_t depth, std::string& out) {
  struct Member {
    std::u16string sort_key;
    const std::string* name;
    const Json* value;
  };
  std::vector<Member> members;
  members.reserve(value.size());
  for (const auto& [name, member] : value.get_ref<const Json::object_t&>()) {
    auto sort_key = toUtf16(name);
    if (!sort_key) {
      return fail(std::move(sort_key.error()).addContext("member name"));
    }
    members.push_back({std::move(*sort_key), &name, &member});
  }
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.sort_key < b.sort_key; });
  out += '{';
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    COCOON_TRY(appendString(*members[i].name, out));
    out += ':';
    if (auto status = appendValue(*members[i].value, depth + 1, out); !status) {
      return fail(std::move(status.error())
                      .addContext("member " + internal::quoteForMessage(*members[i].name)));
    }
  }
  out += '}';
  return okStatus();
}

Status appendValue(const Json& value, std::size_t depth, std::string& out) {
  switch (value.type()) {
    case Json::value_t::null:
      out += "null";
      return okStatus();
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return okStatus();
    case Json::value_t::number_integer: {
      const auto v = value.get<std::int64_t>();
      // Two's complement negation in unsigned arithmetic also covers INT64_MIN.
      const std::uint64_t magnitude =
          v < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
      return appendInteger(v < 0, magnitude, out);
    }
    case Json::value_t::number_unsigned:
      return appendInteger(false, value.get<std::uint64_t>(), out);
    case Json::value_t::number_float: {
      const auto v = value.get<double>();
      if (!std::isfinite(v)) {
        return fail(Code::kInvalidArgument, "json: {} has no JSON form (RFC 8785 §3.2.2.3)", v);
      }
      out += ecmaScriptNumber(v);
      return okStatus();
    }
    case Json::value_t::string:
      return appendString(value.get_ref<const std::string&>(), out);
    case Json::value_t::array:
    case Json::value_t::object:
      if (depth >= kMaxCanonicalDepth) {
        return fail(Code::kResourceExhausted, "json: nesting deeper than {} levels",
                    kMaxCanonicalDepth);
      }
      return value.is_array() ? appendArray(value, depth, out) : appendObject(value, depth, out);
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return fail(Code::kInvalidArgument, "json: a {} value has no JSON form", value.type_name());
}

}  // namespace

Result<std::string> canonicalize(const Json& value) {
  std::string out;
  COCOON_TRY(appendValue(value, 0, out));
  return out;
}

}  // namespace cocoon::json
