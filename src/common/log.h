// SPDX-License-Identifier: Apache-2.0
// Process-wide logging on spdlog: one logger per component, stderr only (STYLE.md §6).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/result.h"

namespace cocoon {

// Severity, lowest first. kOff as a threshold disables all output.
//   error: our fault, or an operator must act.   warn: running degraded.
//   info: lifecycle events.                      debug/trace: protocol detail.
enum class LogLevel : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// kText: `2026-11-28T08:00:00.123Z info  [kbs] message` (one line per record).
// kJson: one JSON object per line with keys ts, level, component, msg.
// In both formats control characters in the message are escaped and invalid UTF-8 is
// replaced by U+FFFD, so a record always stays one line whatever the message holds.
enum class LogFormat : std::uint8_t { kText, kJson };

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

// Sets the threshold and format for every logger, existing and future. Thread-safe; may
// be called again at any time (e.g. after flags are parsed).
// Errors: kInvalidArgument for an enum value outside its range.
Status initLogging(const LogOptions& options);

// "trace" | "debug" | "info" | "warn" | "error" | "off" (lower case, exact).
// Errors: kInvalidArgument naming the value found.
Result<LogLevel> parseLogLevel(std::string_view text);
// "text" | "json". Errors: kInvalidArgument naming the value found.
Result<LogFormat> parseLogFormat(std::string_view text);
// The lower-case name parseLogLevel accepts ("warn", not "warning").
std::string_view logLevelName(LogLevel level);

// Looks up an environment variable; nullopt when unset. Injected so tests need no setenv.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// Reads the real process environment.
std::optional<std::string> processEnv(std::string_view name);

// Resolves the logging options for a binary: the level comes from `level_flag` (e.g. the
// value of --log-level) if given, else from $COCOON_LOG, else kInfo; the format from
// `format_flag`, else $COCOON_LOG_FORMAT, else kText.
// Errors: kInvalidArgument naming the flag or variable that holds a bad value.
Result<LogOptions> resolveLogOptions(std::optional<std::string_view> level_flag,
                                     std::optional<std::string_view> format_flag = std::nullopt,
                                     const EnvLookup& env = processEnv);

// Redirects all log output to `out` (nullptr: back to stderr). The stream must outlive
// its use; writes to it are serialised by the logging mutex. Tests only.
void setLogSinkForTest(std::ostream* out);

namespace log_detail {

// The current threshold, read without locking on every COCOON_LOG.
extern std::atomic<std::uint8_t> g_min_level;

// Emits one record through the component's logger (created on first use). Thread-safe.
void emit(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void emitFormatted(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
                   Args&&... args) {
  emit(level, component, fmt::vformat(format, fmt::make_format_args(args...)));
}

}  // namespace log_detail

// True when a record at `level` would be written.
inline bool logEnabled(LogLevel level) {
  return static_cast<std::uint8_t>(level) >=
             log_detail::g_min_level.load(std::memory_order_relaxed) &&
         level != LogLevel::kOff;
}

// Lets at most `burst` records through per `window`, then drops the rest of that window
// and counts them. One instance per call site (COCOON_LOG_RATE_LIMITED makes a static
// one). Thread-safe.
class LogRateLimiter {
 public:
  struct Decision {
    bool emit = false;
    // Records dropped since the last one emitted; report it with the next record.
    std::uint64_t suppressed = 0;
  };

  explicit LogRateLimiter(std::uint32_t burst = 10,
                          std::chrono::steady_clock::duration window = std::chrono::seconds(1))
      : burst_(burst), window_(window) {}

  Decision allow(std::chrono::steady_clock::time_point now);

 private:
  std::mutex mutex_;
  const std::uint32_t burst_;
  const std::chrono::steady_clock::duration window_;
  std::optional<std::chrono::steady_clock::time_point> window_start_;
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace cocoon

// COCOON_LOG(kInfo, "kbs", "session {} attested", id): formats (checked at compile time)
// and writes one record. The arguments are not evaluated when the level is disabled.
#define COCOON_LOG(level, component, ...)                                                     \
  do {                                                                                        \
    if (::cocoon::logEnabled(::cocoon::LogLevel::level)) {                                    \
      ::cocoon::log_detail::emitFormatted(::cocoon::LogLevel::level, component, __VA_ARGS__); \
    }                                                                                         \
  } while (false)

// Like COCOON_LOG, for records a remote peer can trigger at will (STYLE.md §5.11): at
// most 10 per second from this call site; the next record that gets through says how
// many were dropped.
#define COCOON_LOG_RATE_LIMITED(level, component, ...)                                            \
  do {                                                                                            \
    if (::cocoon::logEnabled(::cocoon::LogLevel::level)) {                                        \
      static ::cocoon::LogRateLimiter cocoon_log_limiter_;                                        \
      const auto cocoon_log_decision_ =                                                           \
          cocoon_log_limiter_.allow(::std::chrono::steady_clock::now());                          \
      if (cocoon_log_decision_.emit) {                                                            \
        ::std::string cocoon_log_msg_ = ::fmt::format(__VA_ARGS__);                               \
        if (cocoon_log_decision_.suppressed > 0) {                                                \
          cocoon_log_msg_ +=                                                                      \
              ::fmt::format(" ({} similar records suppressed)", cocoon_log_decision_.suppressed); \
        }                                                                                         \
        ::cocoon::log_detail::emit(::cocoon::LogLevel::level, component, cocoon_log_msg_);        \
      }                                                                                           \
    }                                                                                             \
  } while (false)
