// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace cocoon {
namespace {

// Captures log output for one test and restores the defaults afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { setLogSinkForTest(&out_); }
  void TearDown() override {
    setLogSinkForTest(nullptr);
    ASSERT_TRUE(initLogging({}));
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      result.push_back(line);
    }
    return result;
  }

  std::ostringstream out_;
};

TEST_F(LogTest, TextFormatHasTimestampLevelComponentAndMessage) {
  ASSERT_TRUE(initLogging({LogLevel::kInfo, LogFormat::kText}));
  COCOON_LOG(kInfo, "kbs", "session {} attested", 42);
  COCOON_LOG(kWarn, "agent", "degraded");
  const auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  const std::regex ts(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z )");
  EXPECT_TRUE(std::regex_search(got[0], ts)) << got[0];
  EXPECT_EQ(got[0].substr(25), "info  [kbs] session 42 attested");
  EXPECT_EQ(got[1].substr(25), "warn  [agent] degraded");
}

TEST_F(LogTest, TextFormatKeepsOneRecordOnOneLine) {
  ASSERT_TRUE(initLogging({LogLevel::kInfo, LogFormat::kText}));
  COCOON_LOG(kInfo, "kbs", "{}", std::string("a\nb\r\tc\x01\x7f d\\e\xff", 13));
  const auto got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].substr(37), "a\\nb\\r\\tc\\x01\\x7f d\\e\xef\xbf\xbd");
}

TEST_F(LogTest, JsonLinesParseAndEscapeHostileMessages) {
  ASSERT_TRUE(initLogging({LogLevel::kTrace, LogFormat::kJson}));
  const std::string hostile =
      std::string("quote\" back\\ nl\n nul", 20) + std::string(1, '\0') +
      "\x1b[31m bad-utf8 \xc3\x28 \xed\xa0\x80 ok \xc3\xa9 \xf0\x9f\x98\x80";
  COCOON_LOG(kDebug, "kbs", "peer sent {}", hostile);
  COCOON_LOG(kError, "comp\"onent", "plain");
  const auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  const auto first = nlohmann::json::parse(got[0]);
  EXPECT_EQ(first["level"], "debug");
  EXPECT_EQ(first["component"], "kbs");
  EXPECT_EQ(first["msg"],
            std::string("peer sent quote\" back\\ nl\n nul", 30) + std::string(1, '\0') +
                "\x1b[31m bad-utf8 \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok "
                "\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_TRUE(std::regex_match(first["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
  const auto second = nlohmann::json::parse(got[1]);
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["component"], "comp\"onent");
  EXPECT_EQ(second["msg"], "plain");
}

TEST_F(LogTest, FiltersBelowThreshold) {
  ASSERT_TRUE(initLogging({LogLevel::kWarn, LogFormat::kJson}));
  COCOON_LOG(kTrace, "x", "t");
  COCOON_LOG(kDebug, "x", "d");
  COCOON_LOG(kInfo, "x", "i");
  COCOON_LOG(kWarn, "x", "w");
  COCOON_LOG(kError, "x", "e");
  const auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(got[0])["msg"], "w");
  EXPECT_EQ(nlohmann::json::parse(got[1])["msg"], "e");
}

TEST_F(LogTest, OffSilencesEverything) {
  ASSERT_TRUE(initLogging({LogLevel::kOff, LogFormat::kText}));
  COCOON_LOG(kError, "x", "e");
  EXPECT_EQ(out_.str(), "");
  EXPECT_FALSE(logEnabled(LogLevel::kOff));
}

TEST_F(LogTest, DoesNotEvaluateArgumentsWhenDisabled) {
  ASSERT_TRUE(initLogging({LogLevel::kInfo, LogFormat::kText}));
  int calls = 0;
  const auto expensive = [&] { return ++calls; };
  COCOON_LOG(kDebug, "x", "{}", expensive());
  EXPECT_EQ(calls, 0);
  COCOON_LOG(kInfo, "x", "{}", expensive());
  EXPECT_EQ(calls, 1);
}

TEST_F(LogTest, RateLimitedMacroDropsFloodAndReportsCount) {
  ASSERT_TRUE(initLogging({LogLevel::kInfo, LogFormat::kJson}));
  for (int i = 0; i < 100; ++i) {
    COCOON_LOG_RATE_LIMITED(kWarn, "ttrpc", "bad frame {}", i);
  }
  // Within one second of the first record only the burst of 10 gets through.
  EXPECT_EQ(lines().size(), 10u);
}

TEST(LogRateLimiter, AllowsBurstPerWindowAndCountsDropped) {
  LogRateLimiter limiter(2, std::chrono::seconds(1));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.allow(t0).emit);
  EXPECT_TRUE(limiter.allow(t0 + std::chrono::milliseconds(1)).emit);
  EXPECT_FALSE(limiter.allow(t0 + std::chrono::milliseconds(2)).emit);
  EXPECT_FALSE(limiter.allow(t0 + std::chrono::milliseconds(999)).emit);
  const auto next = limiter.allow(t0 + std::chrono::seconds(1));
  EXPECT_TRUE(next.emit);
  EXPECT_EQ(next.suppressed, 2u);
  EXPECT_EQ(limiter.allow(t0 + std::chrono::seconds(1)).suppressed, 0u);
}

TEST_F(LogTest, ConcurrentLoggersProduceWholeLines) {
  ASSERT_TRUE(initLogging({LogLevel::kInfo, LogFormat::kJson}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        COCOON_LOG(kInfo, fmt::format("c{}", t % 2), "thread {} record {}", t, i);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const auto got = lines();
  ASSERT_EQ(got.size(), 800u);
  std::map<std::string, int> per_component;
  for (const auto& line : got) {
    per_component[nlohmann::json::parse(line)["component"].get<std::string>()]++;
  }
  EXPECT_EQ(per_component["c0"], 400);
  EXPECT_EQ(per_component["c1"], 400);
}

TEST(LogLevelParse, AcceptsEveryName) {
  for (auto level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                     LogLevel::kError, LogLevel::kOff}) {
    auto parsed = parseLogLevel(logLevelName(level));
    ASSERT_TRUE(parsed) << logLevelName(level);
    EXPECT_EQ(*parsed, level);
  }
}

TEST(LogLevelParse, RejectsUnknownName) {
  for (const char* bad : {"", "warning", "INFO", "debug ", "verbose"}) {
    auto parsed = parseLogLevel(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, Code::kInvalidArgument);
  }
  EXPECT_EQ(parseLogLevel("verbose").error().message,
            "log level: expected one of trace|debug|info|warn|error|off, found \"verbose\"");
}

EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(std::string(name)); it != vars.end()) {
      return it->second;
    }
    return std::nullopt;
  };
}

TEST(ResolveLogOptions, DefaultsToInfoText) {
  auto options = resolveLogOptions(std::nullopt, std::nullopt, fakeEnv({}));
  ASSERT_TRUE(options);
  EXPECT_EQ(options->level, LogLevel::kInfo);
  EXPECT_EQ(options->format, LogFormat::kText);
}

TEST(ResolveLogOptions, ReadsEnvironment) {
  auto options =
      resolveLogOptions(std::nullopt, std::nullopt,
                        fakeEnv({{"COCOON_LOG", "debug"}, {"COCOON_LOG_FORMAT", "json"}}));
  ASSERT_TRUE(options);
  EXPECT_EQ(options->level, LogLevel::kDebug);
  EXPECT_EQ(options->format, LogFormat::kJson);
}

TEST(ResolveLogOptions, FlagsOverrideEnvironment) {
  auto options = resolveLogOptions("error", "text",
                                   fakeEnv({{"COCOON_LOG", "bogus"}, {"COCOON_LOG_FORMAT", "x"}}));
  ASSERT_TRUE(options);
  EXPECT_EQ(options->level, LogLevel::kError);
  EXPECT_EQ(options->format, LogFormat::kText);
}

TEST(ResolveLogOptions, NamesTheSourceOfABadValue) {
  auto from_env = resolveLogOptions(std::nullopt, std::nullopt, fakeEnv({{"COCOON_LOG", "loud"}}));
  ASSERT_FALSE(from_env);
  EXPECT_EQ(from_env.error().code, Code::kInvalidArgument);
  EXPECT_EQ(from_env.error().toString(),
            "INVALID_ARGUMENT: $COCOON_LOG: log level: expected one of "
            "trace|debug|info|warn|error|off, found \"loud\"");
  auto from_flag = resolveLogOptions("info", "yaml", fakeEnv({}));
  ASSERT_FALSE(from_flag);
  EXPECT_EQ(
      from_flag.error().toString(),
      "INVALID_ARGUMENT: --log-format: log format: expected one of text|json, found \"yaml\"");
}

TEST(InitLogging, RejectsOutOfRangeEnums) {
  auto status = initLogging({static_cast<LogLevel>(9), LogFormat::kText});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace cocoon
