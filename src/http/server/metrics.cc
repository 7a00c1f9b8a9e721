// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry storage and the Prometheus text exposition format 0.0.4.
#include "http/server/metrics.h"

#include <cmath>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "common/log.h"

namespace cocoon::http::server {
namespace {

enum Type : int { kCounter, kGauge, kHistogram };

constexpr std::string_view typeName(int type) {
  switch (type) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

// Registration mistakes are bugs in our code, never a consequence of input.
[[noreturn]] void misuse(const std::string& what) {
  COCOON_LOG(kError, "metrics", "metrics registry misuse: {}", what);
  std::abort();
}

bool validName(std::string_view name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}`, or "" without labels; `extra` (e.g. le="0.5") goes last.
std::string renderLabels(const Labels& labels, std::string_view extra = {}) {
  if (labels.empty() && extra.empty()) {
    return {};
  }
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) {
      out += ',';
    }
    out += name;
    out += "=\"";
    appendEscaped(out, value, true);
    out += '"';
  }
  if (!extra.empty()) {
    if (out.size() > 1) {
      out += ',';
    }
    out += extra;
  }
  out += '}';
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::uint64_t Histogram::bucketCount(std::size_t i) const {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}

std::uint64_t Histogram::count() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += bucketCount(i);
  }
  return total;
}

std::vector<double> defaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

struct MetricsRegistry::Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<double> bounds;
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series;  // by rendered labels
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 int type, const std::vector<double>* bounds) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = families_.find(name); it != families_.end()) {
      Family& f = *it->second;
      if (f.type != type || f.help != help || (bounds != nullptr && f.bounds != *bounds)) {
        misuse(fmt::format("metric {} re-registered with another type, help or buckets", name));
      }
      return f;
    }
  }
  if (!validName(name, true)) {
    misuse(fmt::format("invalid metric name '{}'", name));
  }
  if (bounds != nullptr) {
    for (std::size_t i = 0; i < bounds->size(); ++i) {
      if (!std::isfinite((*bounds)[i]) || (i > 0 && (*bounds)[i] <= (*bounds)[i - 1])) {
        misuse(fmt::format("histogram {} bounds must be finite and increasing", name));
      }
    }
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = families_.try_emplace(std::string(name));
  if (inserted) {
    it->second = std::make_unique<Family>(Family{
        std::string(name), std::string(help), type, bounds ? *bounds : std::vector<double>{}, {}});
  } else if (it->second->type != type || it->second->help != help) {
    misuse(fmt::format("metric {} re-registered with another type or help", name));
  }
  return *it->second;
}

MetricsRegistry::Series& MetricsRegistry::series(Family& f, const Labels& labels) {
  const std::string key = renderLabels(labels);
  {
    std::shared_lock lock(mutex_);
    if (auto it = f.series.find(key); it != f.series.end()) {
      return *it->second;
    }
  }
  for (const auto& [label, value] : labels) {
    if (!validName(label, false) || label == "le") {
      misuse(fmt::format("invalid label name '{}' on metric {}", label, f.name));
    }
  }
  std::unique_lock lock(mutex_);
  auto& slot = f.series[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->labels = labels;
    switch (f.type) {
      case kCounter:
        slot->counter = std::make_unique<Counter>();
        break;
      case kGauge:
        slot->gauge = std::make_unique<Gauge>();
        break;
      default:
        slot->histogram = std::make_unique<Histogram>(f.bounds);
        break;
    }
  }
  return *slot;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  return *series(family(name, help, kCounter, nullptr), labels).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(family(name, help, kGauge, nullptr), labels).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds, const Labels& labels) {
  return *series(family(name, help, kHistogram, &bounds), labels).histogram;
}

std::string MetricsRegistry::render() const {
  std::shared_lock lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " ";
    appendEscaped(out, f->help, false);
    out += fmt::format("\n# TYPE {} {}\n", name, typeName(f->type));
    for (const auto& [key, s] : f->series) {
      if (s->counter) {
        out += fmt::format("{}{} {}\n", name, key, s->counter->value());
      } else if (s->gauge) {
        out += fmt::format("{}{} {}\n", name, key, s->gauge->value());
      } else {
        const Histogram& h = *s->histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucketCount(i);
          const std::string le = i < h.bounds().size() ? fmt::format("le=\"{}\"", h.bounds()[i])
                                                       : std::string("le=\"+Inf\"");
          out += fmt::format("{}_bucket{} {}\n", name, renderLabels(s->labels, le), cumulative);
        }
        out += fmt::format("{}_sum{} {}\n", name, key, h.sum());
        out += fmt::format("{}_count{} {}\n", name, key, cumulative);
      }
    }
  }
  return out;
}

}  // namespace cocoon::http::server
