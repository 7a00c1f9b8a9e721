// SPDX-License-Identifier: Apache-2.0
// Closed-loop load against a running KBS: N client threads, each with its own libcurl
// client (kept-alive connection), for a fixed time, with per-call latencies and the CPU
// time split between the clients and the rest of the process (the KBS).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "attest/kbs_client/kbs_client.h"

namespace cocoon::kbs::bench {

enum class LoadKind : std::uint8_t {
  kHandshake,  // a fresh P-256 guest key, then auth + attest (RCAR) with sample evidence
  kResource,   // GET /kbs/v0/resource/<path> with a Bearer token earned once per thread
  kNull,       // GET of an unrouted path (404): the HTTP + curl round-trip floor
};

struct LoadOptions {
  LoadKind kind = LoadKind::kHandshake;
  std::string base_url;       // "http://127.0.0.1:PORT"
  std::string resource_path;  // for kResource: "repo/type/tag"
  unsigned clients = 1;
  std::chrono::milliseconds duration{5000};
  // kHandshake: client i attests with attesters[i % size] (shared attesters must be
  // thread-safe, as TpmAttester is); empty: each client has its own SampleAttester.
  std::vector<attest::Attester*> attesters;
};

struct LoadResult {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::string first_error;  // empty when errors == 0
  double wall_seconds = 0;
  // CPU seconds spent by the client threads, and by every other thread of the process
  // (the in-process KBS: its server workers, store and sweeper) during the timed window.
  double client_cpu_seconds = 0;
  double kbs_cpu_seconds = 0;
  // Latency of one call (a whole handshake: auth + attest; or one GET), microseconds.
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;

  double perSecond() const { return wall_seconds > 0 ? static_cast<double>(ok) / wall_seconds : 0; }
  // Calls per CPU-second of the KBS threads alone.
  double perKbsCpuSecond() const {
    return kbs_cpu_seconds > 0 ? static_cast<double>(ok) / kbs_cpu_seconds : 0;
  }
};

// Runs the load and returns its figures. Setup failures (no curl client, no token for
// kResource) are counted as errors of the threads concerned, so a broken KBS shows up as
// errors rather than as a crash. Not reentrant (reads process-wide CPU time).
LoadResult runLoad(const LoadOptions& options);

// Percentile `q` (0..1) of `sorted` (ascending), nearest rank; 0 for an empty vector.
double percentile(const std::vector<double>& sorted, double q);

}  // namespace cocoon::kbs::bench
