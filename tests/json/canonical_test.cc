// SPDX-License-Identifier: Apache-2.0
// RFC 8785 (JCS) canonicalization against the RFC's own examples and other published vectors.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/encoding.h"
#include "json/json.h"

namespace cocoon::json {
namespace {

std::string canonicalText(std::string_view text) {
  auto parsed = parseJson(text);
  EXPECT_TRUE(parsed) << parsed.error().toString();
  if (!parsed) {
    return {};
  }
  auto canonical = canonicalize(*parsed);
  EXPECT_TRUE(canonical) << canonical.error().toString();
  return canonical ? *canonical : std::string();
}

void expectRejected(const Json& value, Code code, std::string_view message) {
  auto canonical = canonicalize(value);
  ASSERT_FALSE(canonical) << *canonical;
  EXPECT_EQ(canonical.error().code, code);
  EXPECT_EQ(canonical.error().toString(), message);
}

// RFC 8785 §3.2.2: the sample object and its canonical form.
TEST(Canonicalize, Rfc8785PrimitivesSample) {
  const char* input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(canonicalText(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,"
            "1e-27],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 Appendix B: IEEE-754 bit patterns and their JCS text (NaN and Infinity have none).
TEST(Canonicalize, Rfc8785AppendixBNumbers) {
  const struct {
    std::uint64_t bits;
    const char* text;
  } kRows[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& row : kRows) {
    const Json value(std::bit_cast<double>(row.bits));
    auto canonical = canonicalize(value);
    ASSERT_TRUE(canonical) << std::hex << row.bits;
    EXPECT_EQ(*canonical, row.text) << std::hex << row.bits;
    // The text reads back as the same double, through our own parser.
    EXPECT_EQ(canonicalText(row.text), row.text);
  }
  expectRejected(Json(std::bit_cast<double>(std::uint64_t{0x7fffffffffffffff})),
                 Code::kInvalidArgument,
                 "INVALID_ARGUMENT: json: nan has no JSON form (RFC 8785 §3.2.2.3)");
  expectRejected(Json(std::bit_cast<double>(std::uint64_t{0x7ff0000000000000})),
                 Code::kInvalidArgument,
                 "INVALID_ARGUMENT: json: inf has no JSON form (RFC 8785 §3.2.2.3)");
}

// The boundaries of ECMA-262 Number::toString's four output forms.
TEST(Canonicalize, NumberFormBoundaries) {
  EXPECT_EQ(canonicalText("[1e20,1e21,1e-6,1e-7,123e-9,-1.5e-7,0.1,-0.0,5e-1,1.0,2E2]"),
            "[100000000000000000000,1e+21,0.000001,1e-7,1.23e-7,-1.5e-7,0.1,0,0.5,1,200]");
  EXPECT_EQ(canonicalText("[123456789012345678901234567890, 1.2345e25, 12.345e-10]"),
            "[1.2345678901234568e+29,1.2345e+25,1.2345e-9]");
}

TEST(Canonicalize, IntegersBeyond2To53MustKeepTheirValue) {
  EXPECT_EQ(canonicalText("[9007199254740992,-9007199254740992,0,-0,1]"),
            "[9007199254740992,-9007199254740992,0,0,1]");
  // Exactly the ECMAScript text of a double: kept.
  EXPECT_EQ(canonicalText("[9007199254740994,1152921504606847000,-1152921504606847000]"),
            "[9007199254740994,1152921504606847000,-1152921504606847000]");
  // Would be read back as another number.
  expectRejected(*parseJson("[1,9007199254740993]"), Code::kInvalidArgument,
                 "INVALID_ARGUMENT: element 1: json: integer 9007199254740993 beyond 2^53 has "
                 "no exact IEEE-754 double form (RFC 8785 §3.2.2.3); send it as a string");
  expectRejected(*parseJson("{\"n\":-9007199254740993}"), Code::kInvalidArgument,
                 "INVALID_ARGUMENT: member \"n\": json: integer -9007199254740993 beyond 2^53 "
                 "has no exact IEEE-754 double form (RFC 8785 §3.2.2.3); send it as a string");
  for (const Json& value :
       {Json(std::numeric_limits<std::uint64_t>::max()),
        Json(std::numeric_limits<std::int64_t>::min()), Json(std::uint64_t{1} << 60)}) {
    EXPECT_EQ(canonicalize(value).error().code, Code::kInvalidArgument) << value;
  }
  // The same 2^60 as a float is written in its ECMAScript form.
  EXPECT_EQ(*canonicalize(Json(std::ldexp(1.0, 60))), "1152921504606847000");
}

// RFC 8785 §3.2.3: the sorting example (keys given as escapes, values name them).
TEST(Canonicalize, Rfc8785SortingExample) {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  EXPECT_EQ(canonicalText(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
            "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
            "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

// testdata/input/weird.json and output/weird.json of cyberphone/json-canonicalization, the
// reference implementation by the RFC's authors: adds "\n", DEL and "</script>".
TEST(Canonicalize, ReferenceImplementationWeirdVector) {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\u000a": "Newline",
    "1": "One",
    "\u0080": "Control\u007f",
    "\ud83d\ude02": "Smiley",
    "\u00f6": "Latin Small Letter O With Diaeresis",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "</script>": "Browser Challenge"
  })";
  const std::string expected_hex =
      "7b225c6e223a224e65776c696e65222c225c72223a2243617272696167652052657475726e222c2231223a"
      "224f6e65222c223c2f7363726970743e223a2242726f77736572204368616c6c656e6765222c22c280223a"
      "22436f6e74726f6c7f222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820"
      "446961657265736973222c22e282ac223a224575726f205369676e222c22f09f9882223a22536d696c6579"
      "222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368227d";
  EXPECT_EQ(hexEncode(asBytes(canonicalText(input))), expected_hex);
}

// UTF-8 byte order puts U+E000..U+FFFF (EE..EF lead bytes) before U+10000 and up (F0..F4);
// UTF-16 order puts the surrogates D800..DFFF first. JCS wants the UTF-16 order.
TEST(Canonicalize, SortsSupplementaryCharactersBeforeHighBmp) {
  EXPECT_EQ(canonicalText(R"({"\uffff":1,"\ue000":2,"\ud800\udc00":3,"\ud7ff":4})"),
            "{\"\xed\x9f\xbf\":4,\"\xf0\x90\x80\x80\":3,\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}");
  EXPECT_EQ(canonicalText(R"({"b":1,"":2,"aa":3,"a":4,"A":5})"),
            R"({"":2,"A":5,"a":4,"aa":3,"b":1})");
}

TEST(Canonicalize, EscapesOnlyWhatJsonStringifyEscapes) {
  std::string all_controls = "\"";
  for (int c = 0; c < 0x20; ++c) {
    all_controls += fmt::format("\\u{:04X}", c);
  }
  all_controls += "\"";
  EXPECT_EQ(canonicalText(all_controls),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
            "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
            "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
  // DEL, U+2028, '/', and non-ASCII stay literal.
  EXPECT_EQ(canonicalText(R"("\u007f\u2028\/<>&'\u00e9")"), "\"\x7f\xe2\x80\xa8/<>&'\xc3\xa9\"");
}

TEST(Canonicalize, RemovesWhitespaceAndSortsEveryLevel) {
  EXPECT_EQ(canonicalText(R"( { "b" : [ { "z" : 1 , "a" : [ ] } ] , "a" : { "d":true,"c":{} } } )"),
            R"({"a":{"c":{},"d":true},"b":[{"a":[],"z":1}]})");
  EXPECT_EQ(canonicalText("[]"), "[]");
  EXPECT_EQ(canonicalText("\"\""), "\"\"");
}

// PROTOCOLS.md §1.3: KBS report_data binding check vector (SHA-384 of the JCS form).
TEST(Canonicalize, KbsBindingCheckVector) {
  const std::string canonical = canonicalText(R"({"b":1,"a":"test","c":{"d":"e"}})");
  EXPECT_EQ(canonical, R"({"a":"test","b":1,"c":{"d":"e"}})");
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  ASSERT_EQ(
      EVP_Digest(canonical.data(), canonical.size(), digest.data(), &length, EVP_sha384(), nullptr),
      1);
  digest.resize(length);
  EXPECT_EQ(hexEncode(digest),
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c8"
            "13ca941da78870c3");
}

TEST(Canonicalize, RejectsValuesWithoutJsonForm) {
  Json doc = Json::object();
  doc["ok"] = 1;
  doc["bad"] = Json::array({1, std::numeric_limits<double>::infinity()});
  expectRejected(doc, Code::kInvalidArgument,
                 "INVALID_ARGUMENT: member \"bad\": element 1: json: inf has no JSON form "
                 "(RFC 8785 §3.2.2.3)");
  expectRejected(Json("ok\xc3"), Code::kInvalidArgument,
                 "INVALID_ARGUMENT: json: ill-formed UTF-8 at byte 2 of a string");
  expectRejected(Json::object({{"\xed\xa0\x80", 1}}), Code::kInvalidArgument,
                 "INVALID_ARGUMENT: member name: json: ill-formed UTF-8 at byte 0 of a string");
  expectRejected(Json::binary({1, 2}), Code::kInvalidArgument,
                 "INVALID_ARGUMENT: json: a binary value has no JSON form");
  Json deep = 1;
  for (int i = 0; i < 1001; ++i) {
    deep = Json::array({std::move(deep)});
  }
  EXPECT_EQ(canonicalize(deep).error().code, Code::kResourceExhausted);
}

TEST(Canonicalize, IsIdempotentThroughParse) {
  for (const char* text :
       {R"({"z":[1e300,-4.5e-300,0.1,1e17,1e19,18446744073709551616],"é":"\u0000"})",
        R"([1e21,1e20,-1e-7,"\ud83d\ude00",{"\ue000":[],"\ud83d\ude00":{}}])"}) {
    const std::string once = canonicalText(text);
    EXPECT_EQ(canonicalText(once), once) << text;
  }
}

}  // namespace
}  // namespace cocoon::json
