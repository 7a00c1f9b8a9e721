// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry: counters, gauges and histograms rendered in the Prometheus text
// exposition format 0.0.4, shared by the HTTP server and the services behind it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cocoon::http::server {

// Label name/value pairs of one series, e.g. {{"tee", "tpm"}, {"result", "allow"}}.
// Values are escaped when rendered; keep their set small and never put request data,
// secrets or unbounded identifiers in them.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count. Thread-safe (relaxed atomics).
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe (relaxed atomics).
class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations counted into fixed upper bounds (cumulative when rendered), with their sum.
// Thread-safe; a concurrent render may see the count and the sum of slightly different
// moments, which Prometheus tolerates.
class Histogram {
 public:
  // REQUIRES: `bounds` strictly increasing and finite.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] and above the previous bound (not cumulative); the last
  // element counts those above every bound.
  std::uint64_t bucketCount(std::size_t i) const;
  std::uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

// Request durations in seconds: 0.5 ms .. 10 s.
std::vector<double> defaultLatencyBuckets();

// Owns every metric. Getting a metric creates it on first use and returns the same object
// afterwards; references stay valid for the registry's lifetime, so hot paths should
// look a series up once and keep the reference. Thread-safe.
//
// Misuse is a programmer error and aborts after logging: an invalid metric or label name
// (Prometheus data model: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*), or a name
// reused with another type, help text or (for histograms) other bounds.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});

  // Every family sorted by name, each series sorted by its rendered labels, with
  // "# HELP" and "# TYPE" lines; histograms as _bucket{le=...} (cumulative, ending with
  // "+Inf"), _sum and _count. Ends with a newline (empty when nothing is registered).
  std::string render() const;

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int type,
                 const std::vector<double>* bounds);
  struct Series;
  Series& series(Family& family, const Labels& labels);

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace cocoon::http::server
