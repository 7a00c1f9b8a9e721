// SPDX-License-Identifier: Apache-2.0
// Logging: per-component spdlog loggers sharing one sink that renders text or JSON lines.
#include "common/log.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <shared_mutex>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

namespace cocoon {
namespace log_detail {

std::atomic<std::uint8_t> g_min_level{static_cast<std::uint8_t>(LogLevel::kInfo)};

}  // namespace log_detail

namespace {

constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kFormatNames[] = {"text", "json"};

spdlog::level::level_enum toSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      break;
  }
  return spdlog::level::off;
}

std::string_view nameOf(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "error";
    default:
      return "off";
  }
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, RFC 3629 §4).
std::size_t utf8SequenceLength(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    lo = b0 == 0xe0 ? 0xa0 : 0x80;
    hi = b0 == 0xed ? 0x9f : 0xbf;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    lo = b0 == 0xf0 ? 0x90 : 0x80;
    hi = b0 == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (s.size() < len || byte(1) < lo || byte(1) > hi) {
    return 0;
  }
  for (std::size_t i = 2; i < len; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) {
      return 0;
    }
  }
  return len;
}

// Appends `in` so that it cannot break the record: control characters escaped (JSON
// string escapes, or C-style in text), invalid UTF-8 replaced by U+FFFD.
void appendEscaped(std::string_view in, LogFormat format, spdlog::memory_buf_t& out) {
  const bool json = format == LogFormat::kJson;
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8SequenceLength(in.substr(i));
      if (len == 0) {
        fmt::format_to(std::back_inserter(out), "\xef\xbf\xbd");
        ++i;
      } else {
        out.append(in.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    if (c == '\n') {
      out.append(std::string_view("\\n"));
    } else if (c == '\r') {
      out.append(std::string_view("\\r"));
    } else if (c == '\t') {
      out.append(std::string_view("\\t"));
    } else if (c < 0x20 || c == 0x7f) {
      if (json) {
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      } else {
        fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
      }
    } else if (json && (c == '"' || c == '\\')) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// RFC 3339 in UTC with milliseconds: 2026-11-28T08:00:00.123Z.
void appendTimestamp(std::chrono::system_clock::time_point t, spdlog::memory_buf_t& out) {
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(t);
  auto secs = std::chrono::system_clock::to_time_t(ms);
  auto millis = (ms.time_since_epoch() % std::chrono::seconds(1)).count();
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 millis);
}

// The one sink behind every component logger. It renders records itself (rather than
// through an spdlog pattern) so that escaping and level names are exactly ours.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void setFormat(LogFormat format) {
    std::lock_guard<std::mutex> lock(mutex_);
    format_ = format;
  }
  void setOutput(std::ostream* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    out_ = out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    const std::string_view component(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string_view level = nameOf(msg.level);
    if (format_ == LogFormat::kJson) {
      line.append(std::string_view("{\"ts\":\""));
      appendTimestamp(msg.time, line);
      fmt::format_to(std::back_inserter(line), "\",\"level\":\"{}\",\"component\":\"", level);
      appendEscaped(component, format_, line);
      line.append(std::string_view("\",\"msg\":\""));
      appendEscaped(text, format_, line);
      line.append(std::string_view("\"}\n"));
    } else {
      appendTimestamp(msg.time, line);
      fmt::format_to(std::back_inserter(line), " {:<5} [", level);
      appendEscaped(component, format_, line);
      line.append(std::string_view("] "));
      appendEscaped(text, format_, line);
      line.push_back('\n');
    }
    if (out_ != nullptr) {
      out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    } else {
      // stderr is unbuffered: each record leaves in one write, whole.
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  }
  void flush_() override {
    if (out_ != nullptr) {
      out_->flush();
    } else {
      std::fflush(stderr);
    }
  }

 private:
  LogFormat format_ = LogFormat::kText;
  std::ostream* out_ = nullptr;
};

// The logger registry: the one process-wide singleton STYLE.md §6 allows. Never
// destroyed, so static destructors may still log.
struct Registry {
  std::shared_mutex mutex;
  // spdlog loggers hold their sinks by shared_ptr; this one sink is shared by all.
  std::shared_ptr<LineSink> sink = std::make_shared<LineSink>();
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

Registry& registry() {
  static Registry* const instance = new Registry();
  return *instance;
}

std::shared_ptr<spdlog::logger> loggerFor(std::string_view component) {
  Registry& reg = registry();
  {
    std::shared_lock lock(reg.mutex);
    if (auto it = reg.loggers.find(component); it != reg.loggers.end()) {
      return it->second;
    }
  }
  std::unique_lock lock(reg.mutex);
  auto [it, inserted] = reg.loggers.try_emplace(std::string(component));
  if (inserted) {
    // Filtering happens in COCOON_LOG; the logger passes everything it is given.
    it->second = std::make_shared<spdlog::logger>(std::string(component), reg.sink);
    it->second->set_level(spdlog::level::trace);
  }
  return it->second;
}

template <class Enum, std::size_t N>
Result<Enum> parseName(std::string_view text, const std::string_view (&names)[N],
                       std::string_view what) {
  for (std::size_t i = 0; i < N; ++i) {
    if (text == names[i]) {
      return static_cast<Enum>(i);
    }
  }
  return fail(Code::kInvalidArgument, "{}: expected one of {}, found \"{}\"", what,
              fmt::join(names, "|"), text);
}

}  // namespace

Status initLogging(const LogOptions& options) {
  if (options.level > LogLevel::kOff || options.format > LogFormat::kJson) {
    return fail(Code::kInvalidArgument, "log options: level {} or format {} out of range",
                static_cast<int>(options.level), static_cast<int>(options.format));
  }
  registry().sink->setFormat(options.format);
  log_detail::g_min_level.store(static_cast<std::uint8_t>(options.level),
                                std::memory_order_relaxed);
  return okStatus();
}

Result<LogLevel> parseLogLevel(std::string_view text) {
  return parseName<LogLevel>(text, kLevelNames, "log level");
}

Result<LogFormat> parseLogFormat(std::string_view text) {
  return parseName<LogFormat>(text, kFormatNames, "log format");
}

std::string_view logLevelName(LogLevel level) {
  const auto index = static_cast<std::size_t>(level);
  return index < std::size(kLevelNames) ? kLevelNames[index] : "off";
}

std::optional<std::string> processEnv(std::string_view name) {
  // secure_getenv: a set-uid binary must not take its log settings from the caller.
  const char* value = secure_getenv(std::string(name).c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

Result<LogOptions> resolveLogOptions(std::optional<std::string_view> level_flag,
                                     std::optional<std::string_view> format_flag,
                                     const EnvLookup& env) {
  LogOptions options;
  if (level_flag) {
    COCOON_ASSIGN_OR_RETURN(options.level, withContext(parseLogLevel(*level_flag), "--log-level"));
  } else if (auto value = env("COCOON_LOG")) {
    COCOON_ASSIGN_OR_RETURN(options.level, withContext(parseLogLevel(*value), "$COCOON_LOG"));
  }
  if (format_flag) {
    COCOON_ASSIGN_OR_RETURN(options.format,
                            withContext(parseLogFormat(*format_flag), "--log-format"));
  } else if (auto value = env("COCOON_LOG_FORMAT")) {
    COCOON_ASSIGN_OR_RETURN(options.format,
                            withContext(parseLogFormat(*value), "$COCOON_LOG_FORMAT"));
  }
  return options;
}

void setLogSinkForTest(std::ostream* out) {
  registry().sink->setOutput(out);
}

namespace log_detail {

void emit(LogLevel level, std::string_view component, std::string_view message) {
  if (!logEnabled(level)) {
    return;
  }
  loggerFor(component)->log(toSpdlog(level), spdlog::string_view_t(message.data(), message.size()));
}

}  // namespace log_detail

LogRateLimiter::Decision LogRateLimiter::allow(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!window_start_ || now - *window_start_ >= window_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++suppressed_;
    return {};
  }
  ++in_window_;
  Decision decision{true, suppressed_};
  suppressed_ = 0;
  return decision;
}

}  // namespace cocoon
