// SPDX-License-Identifier: Apache-2.0
// Per-operation cost of a callable in a tight single-thread loop, for the floor and stage
// measurements of kbs_bench.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::kbs::bench {

// One measured operation.
struct Cost {
  std::string name;
  double ns = 0;  // mean wall time per call on one thread
};

inline double totalNs(const std::vector<Cost>& costs) {
  double sum = 0;
  for (const auto& c : costs) {
    sum += c.ns;
  }
  return sum;
}

// Calls `op` (returning anything with operator bool and error().toString()) once to warm
// up, then in growing batches until `budget` has elapsed; returns the mean time per call.
// Errors: kInternal naming `name` with the first failure of `op`.
template <class Op>
Result<Cost> measure(std::string name, std::chrono::milliseconds budget, Op&& op) {
  using Clock = std::chrono::steady_clock;
  auto once = [&]() -> Status {
    auto r = op();
    if (!r) {
      return fail(Code::kInternal, "{}: {}", name, r.error().toString());
    }
    return {};
  };
  COCOON_TRY(once());
  std::uint64_t calls = 0;
  std::uint64_t batch = 1;
  auto t0 = Clock::now();
  std::chrono::nanoseconds elapsed{0};
  while (elapsed < budget) {
    for (std::uint64_t i = 0; i < batch; ++i) {
      COCOON_TRY(once());
    }
    calls += batch;
    batch = std::min<std::uint64_t>(batch * 2, 4096);
    elapsed = Clock::now() - t0;
  }
  return Cost{std::move(name), static_cast<double>(elapsed.count()) / static_cast<double>(calls)};
}

}  // namespace cocoon::kbs::bench
