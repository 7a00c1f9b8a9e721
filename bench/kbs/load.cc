// SPDX-License-Identifier: Apache-2.0
// Closed-loop KBS load: client threads, latencies, CPU split.
#include "load.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <latch>
#include <memory>
#include <thread>

#include "attest/kbs_client/kbs_client.h"
#include "crypto/key.h"
#include "http/curl_client.h"

namespace cocoon::kbs::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double cpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct ThreadOut {
  std::vector<double> latencies_us;
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  double cpu_seconds = 0;
  bool arrived = false;  // counted down `ready`

  void fail(std::string what) {
    if (errors++ == 0) {
      first_error = std::move(what);
    }
  }
};

// One client's setup and loop. `go` opens once every client is set up, so connection
// setup and token acquisition stay out of the timed window.
void clientLoop(const LoadOptions& options, unsigned index, std::latch& ready, std::latch& go,
                const SteadyClock::time_point& deadline, ThreadOut& out) {
  auto http = http::makeCurlHttpClient({});
  attest::SampleAttester sample;
  attest::Attester& attester =
      options.attesters.empty() ? sample : *options.attesters[index % options.attesters.size()];
  std::optional<attest::KbsClient> resource_client;
  if (http && options.kind == LoadKind::kResource) {
    // A guest attests once, then fetches with its token; the fetch is what is measured.
    auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
    if (key) {
      resource_client.emplace(options.base_url, std::move(*key), **http);
      if (auto token = resource_client->attest(attester); !token) {
        out.fail("earning the token: " + token.error().toString());
        resource_client.reset();
      }
    }
  }
  out.arrived = true;
  ready.count_down();
  go.wait();
  double cpu0 = cpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  bool can_run = http && (options.kind != LoadKind::kResource || resource_client);
  if (!http) {
    out.fail("curl client: " + http.error().toString());
  }
  while (can_run && SteadyClock::now() < deadline) {
    Status done;
    SteadyClock::time_point t0;
    if (options.kind == LoadKind::kHandshake) {
      // Real guests make a new key per boot; its generation is guest work, not timed.
      auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
      if (!key) {
        out.fail("key: " + key.error().toString());
        continue;
      }
      attest::KbsClient client(options.base_url, std::move(*key), **http);
      t0 = SteadyClock::now();
      done = client.attest(attester).map([](auto&&) {});
    } else if (options.kind == LoadKind::kResource) {
      t0 = SteadyClock::now();
      done = resource_client->getResource(options.resource_path).map([](auto&&) {});
    } else {
      http::Request request;
      request.url = options.base_url + "/bench/unrouted";
      t0 = SteadyClock::now();
      auto answer = (*http)->send(request, 64 * 1024);
      if (!answer) {
        done = fail(answer.error());
      } else if (answer->status != 404) {
        done = fail(Code::kInternal, "expected 404, got {}", answer->status);
      }
    }
    auto elapsed = std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count();
    if (done) {
      ++out.ok;
      out.latencies_us.push_back(elapsed);
    } else {
      out.fail(done.error().toString());
    }
  }
  out.cpu_seconds = cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
}

}  // namespace

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) {
    return 0;
  }
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

LoadResult runLoad(const LoadOptions& options) {
  std::vector<ThreadOut> outs(options.clients);
  std::latch ready(static_cast<std::ptrdiff_t>(options.clients));
  std::latch go(1);
  SteadyClock::time_point deadline;
  std::vector<std::thread> threads;
  threads.reserve(options.clients);
  for (unsigned i = 0; i < options.clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        clientLoop(options, i, ready, go, deadline, outs[i]);
      } catch (const std::exception& e) {
        outs[i].fail(std::string("exception: ") + e.what());
        if (!outs[i].arrived) {
          ready.count_down();
        }
      }
    });
  }
  ready.wait();
  // Written before `go` opens, so every client reads it after.
  auto t0 = SteadyClock::now();
  deadline = t0 + options.duration;
  double process0 = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  go.count_down();
  for (auto& t : threads) {
    t.join();
  }
  double process_cpu = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process0;

  LoadResult result;
  result.wall_seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  std::vector<double> all;
  for (auto& out : outs) {
    result.ok += out.ok;
    result.errors += out.errors;
    if (result.first_error.empty()) {
      result.first_error = out.first_error;
    }
    result.client_cpu_seconds += out.cpu_seconds;
    all.insert(all.end(), out.latencies_us.begin(), out.latencies_us.end());
  }
  result.kbs_cpu_seconds = std::max(0.0, process_cpu - result.client_cpu_seconds);
  std::sort(all.begin(), all.end());
  result.p50_us = percentile(all, 0.50);
  result.p99_us = percentile(all, 0.99);
  result.max_us = all.empty() ? 0 : all.back();
  return result;
}

}  // namespace cocoon::kbs::bench
