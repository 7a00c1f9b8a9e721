// SPDX-License-Identifier: Apache-2.0
#include "http/server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cocoon::http::server {
namespace {

TEST(MetricsRegistry, RendersTextFormat004Exactly) {
  MetricsRegistry registry;
  registry
      .counter("kbs_attestations_total", "Attestations by TEE and result.",
               {{"tee", "tpm"}, {"result", "allow"}})
      .inc(3);
  registry
      .counter("kbs_attestations_total", "Attestations by TEE and result.",
               {{"tee", "sample"}, {"result", "deny"}})
      .inc();
  registry.gauge("kbs_sessions", "Open sessions.").set(-2);
  auto& h =
      registry.histogram("kbs_verify_seconds", "Evidence verification time.", {0.001, 0.5, 2});
  h.observe(0.5);  // bounds are inclusive
  h.observe(0.25);
  h.observe(3);
  EXPECT_EQ(registry.render(),
            "# HELP kbs_attestations_total Attestations by TEE and result.\n"
            "# TYPE kbs_attestations_total counter\n"
            "kbs_attestations_total{tee=\"sample\",result=\"deny\"} 1\n"
            "kbs_attestations_total{tee=\"tpm\",result=\"allow\"} 3\n"
            "# HELP kbs_sessions Open sessions.\n"
            "# TYPE kbs_sessions gauge\n"
            "kbs_sessions -2\n"
            "# HELP kbs_verify_seconds Evidence verification time.\n"
            "# TYPE kbs_verify_seconds histogram\n"
            "kbs_verify_seconds_bucket{le=\"0.001\"} 0\n"
            "kbs_verify_seconds_bucket{le=\"0.5\"} 2\n"
            "kbs_verify_seconds_bucket{le=\"2\"} 2\n"
            "kbs_verify_seconds_bucket{le=\"+Inf\"} 3\n"
            "kbs_verify_seconds_sum 3.75\n"
            "kbs_verify_seconds_count 3\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.counter("c_total", "line\\one\ntwo", {{"v", "a\"b\\c\nd"}}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP c_total line\\\\one\\ntwo\n"
            "# TYPE c_total counter\n"
            "c_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, SameSeriesIsTheSameObject) {
  MetricsRegistry registry;
  Counter& a = registry.counter("x_total", "X.", {{"k", "v"}});
  Counter& b = registry.counter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &registry.counter("x_total", "X.", {{"k", "w"}}));
  EXPECT_EQ(registry.render().empty(), false);
  EXPECT_EQ(MetricsRegistry().render(), "");
}

TEST(MetricsRegistry, CountsFromManyThreads) {
  MetricsRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 1000; ++i) {
        registry.counter("hits_total", "Hits.", {{"k", std::to_string(i % 3)}}).inc();
        registry.histogram("lat_seconds", "Latency.", {1.0}).observe(0.5);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(registry.counter("hits_total", "Hits.", {{"k", "0"}}).value(), 4u * 334u);
  EXPECT_EQ(registry.histogram("lat_seconds", "Latency.", {1.0}).count(), 4000u);
  EXPECT_DOUBLE_EQ(registry.histogram("lat_seconds", "Latency.", {1.0}).sum(), 2000.0);
}

TEST(MetricsRegistryDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        MetricsRegistry registry;
        registry.counter("m", "M.");
        registry.gauge("m", "M.");
      },
      "re-registered");
  EXPECT_DEATH(MetricsRegistry().counter("bad-name", "B."), "invalid metric name");
  EXPECT_DEATH(MetricsRegistry().counter("ok", "O.", {{"le", "1"}}), "invalid label name");
  EXPECT_DEATH(MetricsRegistry().histogram("h", "H.", {2, 1}), "increasing");
}

}  // namespace
}  // namespace cocoon::http::server
