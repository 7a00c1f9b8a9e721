// SPDX-License-Identifier: Apache-2.0
#include "kbs/token/internal/json_writer.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace cocoon::kbs::token::internal {
namespace {

using json::Json;

std::string written(const Json& value) {
  std::string out;
  appendJson(out, value);
  return out;
}

std::string jsonText(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

TEST(JsonWriter, EscapesAsDumpCompactDoes) {
  EXPECT_EQ(jsonText(""), R"("")");
  EXPECT_EQ(jsonText("plain / text"), R"("plain / text")");
  EXPECT_EQ(jsonText("q\"b\\"), R"("q\"b\\")");
  EXPECT_EQ(jsonText("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(jsonText(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(jsonText("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
}

TEST(JsonWriter, ReplacesIllFormedUtf8AsDumpCompactDoes) {
  // Lone continuation, overlong, surrogate, above U+10FFFF, truncated at the end and in
  // the middle, a lead byte that never starts a sequence.
  for (std::string text :
       {std::string("a\x80z"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
        std::string("\xf4\x90\x80\x80"), std::string("ok\xe2\x82"), std::string("\xe2\x82z\"\n"),
        std::string("\xff"), std::string("\xf0\x9f\x98")}) {
    const std::string out = jsonText(text);
    EXPECT_EQ(out, json::dumpCompact(Json(text))) << testing::PrintToString(text);
    EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos) << testing::PrintToString(text);
  }
}

TEST(JsonWriter, WritesValuesAsDumpCompactDoes) {
  const Json values[] = {
      nullptr,
      true,
      false,
      0,
      -9223372036854775807 - 1,
      std::uint64_t{18446744073709551615u},
      1.5,
      -0.0,
      1e-300,
      Json::array(),
      Json::object(),
      Json::binary({1, 2, 3}),
      {{"b", {1, "x", nullptr, {{"nested", Json::array({Json::object()})}}}}, {"a", 2}, {"", ""}},
  };
  for (const Json& value : values) {
    EXPECT_EQ(written(value), json::dumpCompact(value)) << json::dumpCompact(value);
  }
}

TEST(JsonWriter, PlacesCommasBetweenMembers) {
  std::string out = "prefix:";
  JsonWriter w(out);
  w.beginObject();
  w.key("a").integer(-1);
  w.key("b").beginObject().endObject();
  w.key("c").beginObject().key("d").boolean(false).key("e").string("f").endObject();
  w.key("g").value(Json::array({1, 2}));
  w.endObject();
  EXPECT_EQ(out, R"(prefix:{"a":-1,"b":{},"c":{"d":false,"e":"f"},"g":[1,2]})");
}

// Random byte strings and random documents against dumpCompact: any difference in the
// escaping or the UTF-8 check shows up here.
TEST(JsonWriter, MatchesDumpCompactOnRandomInput) {
  std::mt19937 rng(5);
  // Bytes weighted toward the interesting ones: controls, quote, backslash, UTF-8 leads
  // and continuations.
  const std::string alphabet =
      std::string("\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x20\x22\x2f\x5c\x7f", 13) +
      "az\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xec\xed\xee\xef" +
      "\xf0\xf1\xf3\xf4\xf5\xfe\xff";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  const auto randomText = [&] {
    std::string text;
    for (int n = length(rng); n > 0; --n) {
      text += alphabet[pick(rng)];
    }
    return text;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::string text = randomText();
    ASSERT_EQ(jsonText(text), json::dumpCompact(Json(text))) << testing::PrintToString(text);
  }
  for (int i = 0; i < 2000; ++i) {
    Json doc = Json::object();
    for (int n = length(rng); n > 0; --n) {
      doc[randomText()] = Json::array({randomText(), n, Json{{randomText(), randomText()}}});
    }
    ASSERT_EQ(written(doc), json::dumpCompact(doc));
  }
}

}  // namespace
}  // namespace cocoon::kbs::token::internal
