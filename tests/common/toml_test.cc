// SPDX-License-Identifier: Apache-2.0
#include "common/toml.h"

#include <gtest/gtest.h>

#include "common/files.h"

namespace cocoon {
namespace {

constexpr std::string_view kConfig = R"(# kbs config
listen = "0.0.0.0:8080"
workers = 4
debug = true
timeout = 2.5
retries = 3
origins = ["a.example", "b.example"]

[tls]
cert = "/etc/cocoon/cert.pem"
)";

toml::table parseOk(std::string_view text) {
  auto table = parseToml(text, "kbs.toml");
  EXPECT_TRUE(table) << table.error().toString();
  return table ? std::move(*table) : toml::table{};
}

void expectError(const Status& status, Code code, std::string_view message) {
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code);
  EXPECT_EQ(status.error().message, message);
}

template <class T>
void expectError(const Result<T>& result, Code code, std::string_view message) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, code);
  EXPECT_EQ(result.error().message, message);
}

TEST(Toml, GettersReturnValuesAndDefaults) {
  const toml::table config = parseOk(kConfig);
  EXPECT_EQ(*getString(config, "listen", "x"), "0.0.0.0:8080");
  EXPECT_EQ(*getString(config, "missing", "fallback"), "fallback");
  EXPECT_EQ(*getInt(config, "workers", 1), 4);
  EXPECT_EQ(*getInt(config, "missing", 7), 7);
  EXPECT_EQ(*getBool(config, "debug", false), true);
  EXPECT_EQ(*getDouble(config, "timeout", 1.0), 2.5);
  EXPECT_EQ(*getDouble(config, "retries", 1.0), 3.0);  // integers widen
  EXPECT_EQ(*getStringArray(config, "origins"),
            (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(*getStringArray(config, "missing", {"d"}), std::vector<std::string>{"d"});
  const toml::table* tls = *getTable(config, "tls");
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(*getString(*tls, "cert", ""), "/etc/cocoon/cert.pem");
  EXPECT_EQ(*getTable(config, "missing"), nullptr);
}

TEST(Toml, WrongTypeNamesLocationKeyAndTypes) {
  const toml::table config = parseOk(kConfig);
  expectError(getInt(config, "listen", 0), Code::kInvalidArgument,
              "kbs.toml:2:10: key \"listen\": expected integer, found string");
  expectError(getString(config, "workers", ""), Code::kInvalidArgument,
              "kbs.toml:3:11: key \"workers\": expected string, found integer");
  expectError(getBool(config, "timeout", false), Code::kInvalidArgument,
              "kbs.toml:5:11: key \"timeout\": expected boolean, found float");
  expectError(getDouble(config, "debug", 0), Code::kInvalidArgument,
              "kbs.toml:4:9: key \"debug\": expected float, found boolean");
  expectError(getTable(config, "origins"), Code::kInvalidArgument,
              "kbs.toml:7:11: key \"origins\": expected table, found array");
  expectError(getStringArray(config, "tls"), Code::kInvalidArgument,
              "kbs.toml:9:1: key \"tls\": expected array of strings, found table");
}

TEST(Toml, StringArrayNamesTheBadElement) {
  const toml::table config = parseOk("hosts = [\"a\", 2]\n");
  expectError(getStringArray(config, "hosts"), Code::kInvalidArgument,
              "kbs.toml:1:15: key \"hosts[1]\": expected string, found integer");
}

TEST(Toml, IntRangeIsEnforced) {
  const toml::table config = parseOk("port = 70000\n");
  expectError(getInt(config, "port", 0, 1, 65535), Code::kInvalidArgument,
              "kbs.toml:1:8: key \"port\": 70000 is outside [1, 65535]");
  EXPECT_EQ(*getInt(config, "port", 0, 1, 70000), 70000);
}

TEST(Toml, ValuesBuiltInMemoryHaveNoLocation) {
  const toml::table table{{"n", "text"}};
  expectError(getInt(table, "n", 0), Code::kInvalidArgument,
              "key \"n\": expected integer, found string");
}

TEST(Toml, RejectUnknownKeysNamesTheFirstInDocumentOrder) {
  const toml::table config = parseOk("zeta = 1\nlisten = 2\nalpha = 3\n");
  EXPECT_TRUE(rejectUnknownKeys(config, {"zeta", "listen", "alpha"}, "[kbs]"));
  expectError(rejectUnknownKeys(config, {"listen"}, "[kbs]"), Code::kInvalidArgument,
              "kbs.toml:1:1: unknown key \"zeta\" in [kbs]; known keys: listen");
}

TEST(Toml, RejectUnknownKeysEscapesOddKeys) {
  const toml::table config = parseOk("\"a\\nb\" = 1\n");
  expectError(rejectUnknownKeys(config, {"x", "y"}, "[root]"), Code::kInvalidArgument,
              "kbs.toml:1:1: unknown key \"a\\nb\" in [root]; known keys: x, y");
}

TEST(Toml, SyntaxErrorsCarrySourceLineAndColumn) {
  expectError(parseToml("a = 1\nb = 1 2\n", "kbs.toml"), Code::kInvalidArgument,
              "kbs.toml:2:7: Error while parsing key-value pair: expected a comment or "
              "whitespace, saw '2'");
}

TEST(Toml, RejectsDuplicateKeys) {
  expectError(parseToml("a = 1\na = 2\n", "kbs.toml"), Code::kInvalidArgument,
              "kbs.toml:2:5: Error while parsing key-value pair: cannot redefine existing "
              "integer 'a'");
  expectError(parseToml("[t]\n[t]\n", "kbs.toml"), Code::kInvalidArgument,
              "kbs.toml:2:1: Error while parsing table header: cannot redefine existing table 't'");
}

TEST(Toml, RejectsUnterminatedStringAndInvalidUtf8) {
  auto unterminated = parseToml("a = \"open\nb = 1\n", "kbs.toml");
  ASSERT_FALSE(unterminated);
  EXPECT_EQ(unterminated.error().code, Code::kInvalidArgument);
  EXPECT_EQ(unterminated.error().message.rfind("kbs.toml:1:", 0), 0u);
  expectError(parseToml("a = \"\xff\"\n", "kbs.toml"), Code::kInvalidArgument,
              "kbs.toml:1:5: Encountered invalid utf-8 sequence");
}

TEST(Toml, RejectsInputOverSizeCap) {
  expectError(parseToml("a = 12345\n", "kbs.toml", 9), Code::kResourceExhausted,
              "kbs.toml: 10 bytes exceed the limit of 9 bytes");
  EXPECT_TRUE(parseToml("a = 12345\n", "kbs.toml", 10));
}

TEST(Toml, RejectsDeepDottedKeysBeforeToml) {
  // 300k segments would overflow the stack inside toml++.
  std::string deep = "a";
  for (int i = 0; i < 300000; ++i) {
    deep += ".a";
  }
  deep += " = 1\n";
  expectError(parseToml(deep, "deep.toml"), Code::kResourceExhausted,
              "deep.toml:1:257: nesting deeper than 128 levels");
  std::string header = "[" + deep.substr(0, 600000) + "]\n";
  EXPECT_EQ(parseToml(header, "deep.toml").error().code, Code::kResourceExhausted);
}

TEST(Toml, RejectsDeeplyNestedArraysAndInlineTables) {
  expectError(parseToml("a = " + std::string(200, '[') + std::string(200, ']') + "\n", "n.toml"),
              Code::kResourceExhausted, "n.toml:1:132: nesting deeper than 128 levels");
  std::string inline_tables = "a = ";
  for (int i = 0; i < 100; ++i) {
    inline_tables += "{b.c = ";
  }
  inline_tables += "1" + std::string(100, '}') + "\n";
  EXPECT_EQ(parseToml(inline_tables, "n.toml").error().code, Code::kResourceExhausted);
}

TEST(Toml, NestingCountsTheTableHeaderOfEachKey) {
  std::string half = "a";
  for (int i = 0; i < 70; ++i) {
    half += ".a";
  }
  // Each line alone is fine; under the header the key is 140 levels deep.
  EXPECT_TRUE(parseToml("[" + half + "]\nx = 1\n", "h.toml"));
  EXPECT_TRUE(parseToml("[t]\n" + half + " = 1\n", "h.toml"));
  expectError(parseToml("[" + half + "]\n" + half + " = 1\n", "h.toml"), Code::kResourceExhausted,
              "h.toml:2:115: nesting deeper than 128 levels");
  // A later header starts again from the root.
  EXPECT_TRUE(parseToml("[" + half + "]\n[b]\n" + half + " = 1\n", "h.toml"));
}

TEST(Toml, NestingCheckIgnoresDotsInStringsCommentsAndNumbers) {
  std::string dots;
  for (int i = 0; i < 500; ++i) {
    dots += "x.";
  }
  std::string floats = "f = [";
  for (int i = 0; i < 500; ++i) {
    floats += "1.5, ";
  }
  floats += "2.0]\n";
  const std::string text = "# " + dots + "\n" + "s = \"" + dots + "\"\n" + "l = '" + dots + "'\n" +
                           "m = \"\"\"\n" + dots + "\n\"\"\"\n" + "n = '''" + dots + "''''\n" +
                           floats + "[a.b.c]\nd.e.f = {g.h = [[1]]}\n";
  const toml::table table = parseOk(text);
  EXPECT_EQ(table["n"].value<std::string>(), dots + "'");
  EXPECT_EQ(table["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h"][0][0].value<int>(), 1);
}

TEST(Toml, NestingJustUnderTheCapIsAccepted) {
  // A key of N segments and its value are N + 1 levels.
  std::string key = "a";
  for (std::size_t i = 2; i < kMaxTomlNesting; ++i) {
    key += ".a";
  }
  EXPECT_TRUE(parseToml(key + " = 1\n", "ok.toml"));
  EXPECT_FALSE(parseToml(key + ".a = 1\n", "ok.toml"));
}

TEST(Toml, ReadTomlFileUsesThePathAsSourceName) {
  auto dir = TempDir::create("toml-test");
  ASSERT_TRUE(dir);
  const auto path = dir->path() / "agent.toml";
  ASSERT_TRUE(writeFileAtomic(path, asBytes("x = 1\ny = \"s\"\n")));
  auto table = readTomlFile(path);
  ASSERT_TRUE(table);
  expectError(getInt(*table, "y", 0), Code::kInvalidArgument,
              path.string() + ":2:5: key \"y\": expected integer, found string");
  EXPECT_EQ(readTomlFile(dir->path() / "missing.toml").error().code, Code::kNotFound);
}

}  // namespace
}  // namespace cocoon
