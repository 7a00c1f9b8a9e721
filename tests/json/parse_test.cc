// SPDX-License-Identifier: Apache-2.0
// parseJson caps and strictness, typed getters and dumpCompact.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "json/json.h"

namespace cocoon::json {
namespace {

// Expects `text` to fail with `code`; returns the message for further checks.
std::string expectFailure(std::string_view text, Code code, const ParseLimits& limits = {}) {
  auto parsed = parseJson(text, limits);
  EXPECT_FALSE(parsed) << "accepted: " << text.substr(0, 80);
  if (parsed) {
    return {};
  }
  EXPECT_EQ(parsed.error().code, code) << parsed.error().toString();
  return parsed.error().message;
}

std::string nestedArrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(ParseJson, BuildsTheDocument) {
  auto parsed = parseJson(R"({"s":"x","i":-5,"u":18446744073709551615,"f":0.5,
                              "b":true,"n":null,"a":[1,{"k":[]}],"o":{}})");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  const Json& doc = *parsed;
  EXPECT_EQ(doc["s"], "x");
  EXPECT_TRUE(doc["i"].is_number_integer());
  EXPECT_EQ(doc["i"].get<std::int64_t>(), -5);
  EXPECT_TRUE(doc["u"].is_number_unsigned());
  EXPECT_EQ(doc["u"].get<std::uint64_t>(), UINT64_MAX);
  EXPECT_EQ(doc["f"].get<double>(), 0.5);
  EXPECT_EQ(doc["b"], true);
  EXPECT_TRUE(doc["n"].is_null());
  EXPECT_EQ(doc["a"].size(), 2u);
  EXPECT_TRUE(doc["a"][1]["k"].is_array());
  EXPECT_TRUE(doc["o"].is_object());
}

TEST(ParseJson, AcceptsScalarsAtTopLevelAndSurroundingWhitespace) {
  EXPECT_EQ(*parseJson(" \t\r\n42 \n"), 42);
  EXPECT_EQ(*parseJson("\"\\u00e9\\ud83d\\ude00\""), "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(parseJson("null")->is_null());
}

TEST(ParseJson, RejectsDuplicateKeys) {
  EXPECT_EQ(expectFailure(R"({"alg":"none","alg":"ES256"})", Code::kInvalidArgument),
            "json: duplicate object key \"alg\" ending at byte offset 18");
  // Same name spelt differently is still the same key.
  EXPECT_EQ(expectFailure(R"({"a":1,"b":{"x":1,"\u0078":2}})", Code::kInvalidArgument),
            "json: duplicate object key \"x\" ending at byte offset 25");
  EXPECT_EQ(expectFailure("{\"\\u0001\":1,\"\\u0001\":2}", Code::kInvalidArgument),
            "json: duplicate object key \"\\x01\" ending at byte offset 19");
}

TEST(ParseJson, AcceptsTheSameKeyInDifferentObjects) {
  auto parsed = parseJson(R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)["b"][1]["a"], 3);
}

TEST(ParseJson, EnforcesTheDepthLimit) {
  EXPECT_TRUE(parseJson(nestedArrays(64)));
  EXPECT_EQ(expectFailure(nestedArrays(65), Code::kResourceExhausted),
            "json: nesting deeper than 64 levels at byte offset 64");
  std::string objects;
  for (int i = 0; i < 65; ++i) {
    objects += "{\"k\":";
  }
  objects += "1" + std::string(65, '}');
  expectFailure(objects, Code::kResourceExhausted);
  EXPECT_TRUE(parseJson("[[1]]", {.max_depth = 2}));
  expectFailure("[[1]]", Code::kResourceExhausted, {.max_depth = 1});
  EXPECT_TRUE(parseJson("7", {.max_depth = 0}));
}

TEST(ParseJson, ChecksTheSizeCapBeforeParsing) {
  // A valid 5 MiB document: the cap, not the syntax, rejects it.
  const std::string big = "\"" + std::string(5 * 1024 * 1024, 'a') + "\"";
  EXPECT_EQ(expectFailure(big, Code::kResourceExhausted),
            "json: input of 5242882 bytes exceeds the limit of 4194304 bytes");
  // Garbage over the cap is also refused for its size.
  expectFailure(std::string(5 * 1024 * 1024, '{'), Code::kResourceExhausted);
  EXPECT_TRUE(parseJson("[1]", {.max_bytes = 3}));
  expectFailure("[1] ", Code::kResourceExhausted, {.max_bytes = 3});
}

TEST(ParseJson, RejectsEveryTruncation) {
  const std::string doc = R"({"a":[1,2.5e3,"x\u00e9y",true,false,null],"b":{"c":-0}})";
  ASSERT_TRUE(parseJson(doc));
  for (std::size_t n = 0; n < doc.size(); ++n) {
    // "{...,"b":{"c":-0" cut after the last digit is still incomplete, so all fail.
    const std::string prefix = doc.substr(0, n);
    auto parsed = parseJson(prefix);
    ASSERT_FALSE(parsed) << prefix;
    EXPECT_EQ(parsed.error().code, Code::kInvalidArgument) << prefix;
  }
  EXPECT_EQ(expectFailure(R"({"a":[1,)", Code::kInvalidArgument),
            "json: syntax error while parsing value - unexpected end of input; expected '[', "
            "'{', or a literal at byte offset 8");
  EXPECT_EQ(expectFailure("", Code::kInvalidArgument),
            "json: syntax error while parsing value - unexpected end of input; expected '[', "
            "'{', or a literal at byte offset 0");
}

TEST(ParseJson, RejectsTrailingContent) {
  EXPECT_EQ(expectFailure("{} x", Code::kInvalidArgument),
            "json: syntax error while parsing value - invalid literal; expected end of input "
            "at byte offset 3");
  EXPECT_EQ(expectFailure("{}{}", Code::kInvalidArgument),
            "json: syntax error while parsing value - unexpected '{'; expected end of input "
            "at byte offset 2");
  expectFailure("1 2", Code::kInvalidArgument);
  expectFailure("[1]]", Code::kInvalidArgument);
  // nlohmann alone would stop reading at a NUL and accept these.
  EXPECT_EQ(expectFailure(std::string("{}\0", 3), Code::kInvalidArgument),
            "json: NUL byte at byte offset 2");
  expectFailure(std::string("{} \0{\"a\":1}", 11), Code::kInvalidArgument);
}

TEST(ParseJson, RejectsLoneSurrogateEscapes) {
  for (const char* text : {R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", R"("\ud800x")",
                           R"("\ude00\ud83d")", R"({"\udbff":1})"}) {
    const std::string message = expectFailure(text, Code::kInvalidArgument);
    EXPECT_NE(message.find("surrogate"), std::string::npos) << text << ": " << message;
  }
}

TEST(ParseJson, RejectsIllFormedUtf8) {
  const char* bad[] = {
      "\"\xff\"",              // never valid
      "\"\xc0\xaf\"",          // overlong '/'
      "\"\xe0\x80\xaf\"",      // overlong, three bytes
      "\"\xed\xa0\x80\"",      // UTF-16 surrogate encoded in UTF-8
      "\"\xf4\x90\x80\x80\"",  // above U+10FFFF
      "\"\xe2\x82\"",          // truncated sequence
      "\"\x80\"",              // continuation byte alone
      "{\"\xc3\":1}",          // in a key
      "[\xc3\xa9]",            // valid UTF-8, but outside a string
  };
  for (const char* text : bad) {
    expectFailure(text, Code::kInvalidArgument);
  }
  EXPECT_EQ(expectFailure("[\"ok\",\"\xff\"]", Code::kInvalidArgument),
            "json: syntax error while parsing value - invalid string: ill-formed UTF-8 byte "
            "at byte offset 7");
}

TEST(ParseJson, RejectsNonJsonNumbersAndLiterals) {
  for (const char* text :
       {"NaN", "nan", "Infinity", "-Infinity", "[NaN]", "{\"a\":Infinity}", "+1", "01", "-01", ".5",
        "1.", "1e", "0x10", "1_000", "True", "nul", "undefined", "'a'"}) {
    expectFailure(text, Code::kInvalidArgument);
  }
  EXPECT_EQ(expectFailure("[1e400]", Code::kInvalidArgument),
            "json: number out of range at byte offset 5");
}

TEST(ParseJson, RejectsWhatLenientParsersAllow) {
  EXPECT_EQ(expectFailure("\xEF\xBB\xBF{}", Code::kInvalidArgument),
            "json: byte order mark at byte offset 0");
  expectFailure("/* c */ {}", Code::kInvalidArgument);
  expectFailure("{} // c", Code::kInvalidArgument);
  expectFailure("[1,]", Code::kInvalidArgument);
  expectFailure("{\"a\":1,}", Code::kInvalidArgument);
  expectFailure("{a:1}", Code::kInvalidArgument);
  expectFailure("\"tab\there\"", Code::kInvalidArgument);
  expectFailure(std::string("\"nul\0\"", 6), Code::kInvalidArgument);
  expectFailure("\"\\x41\"", Code::kInvalidArgument);
}

TEST(Getters, ReturnTypedMembers) {
  const Json doc = *parseJson(
      R"({"s":"v","i":-3,"u":7,"b":false,"o":{"x":1},"a":[1],"big":9223372036854775808})");
  EXPECT_EQ(*getString(doc, "s"), "v");
  EXPECT_EQ(*getInt(doc, "i"), -3);
  EXPECT_EQ(*getInt(doc, "u"), 7);
  EXPECT_EQ(*getBool(doc, "b"), false);
  EXPECT_EQ((**getObject(doc, "o"))["x"], 1);
  EXPECT_EQ((*getArray(doc, "a"))->size(), 1u);
  EXPECT_EQ(**getOptionalString(doc, "s"), "v");
  EXPECT_EQ(*getOptionalString(doc, "absent"), nullptr);
  EXPECT_EQ(getInt(doc, "big").error().message,
            "json: field \"big\": integer 9223372036854775808 exceeds int64");
}

TEST(Getters, NameTheFieldOnFailure) {
  const Json doc = *parseJson(R"({"s":"v","f":1.0,"n":null})");
  const auto check = [](const auto& result, std::string_view message) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Code::kInvalidArgument);
    EXPECT_EQ(result.error().message, message);
  };
  check(getString(doc, "missing"), "json: missing field \"missing\"");
  check(getInt(doc, "s"), "json: field \"s\": expected integer, found string");
  check(getInt(doc, "f"), "json: field \"f\": expected integer, found number");
  check(getBool(doc, "n"), "json: field \"n\": expected boolean, found null");
  check(getObject(doc, "s"), "json: field \"s\": expected object, found string");
  check(getArray(doc, "s"), "json: field \"s\": expected array, found string");
  check(getString(doc, "f"), "json: field \"f\": expected string, found number");
  check(getOptionalString(doc, "n"), "json: field \"n\": expected string, found null");
  check(getString(Json::array(), "s"), "json: expected an object holding field \"s\", found array");
  check(getOptionalString(Json(3), "s"),
        "json: expected an object holding field \"s\", found number");
}

TEST(DumpCompact, WritesNoWhitespaceAndKeepsUtf8) {
  const Json doc = *parseJson(R"({ "b" : [1, 2.5, "\u00e9\n"], "a" : null })");
  EXPECT_EQ(dumpCompact(doc), "{\"a\":null,\"b\":[1,2.5,\"\xc3\xa9\\n\"]}");
  // Only values built in memory can hold bad UTF-8; it is replaced, not thrown on.
  EXPECT_EQ(dumpCompact(Json("a\xff")), "\"a\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace cocoon::json
