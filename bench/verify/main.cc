// SPDX-License-Identifier: Apache-2.0
// verify_bench [SECONDS] [TESTDATA_DIR]: verifications per second of each TEE's verifier
// next to the bare ECDSA verify its evidence needs at least (P-384 for snp, P-256 for tdx)
// measured in the same run, with the ratio (issue #6 goal: >= 50%).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench.h"
#include "common/files.h"

namespace cocoon::bench {

double opsPerSecond(const std::function<bool()>& once, double seconds) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) {
    if (!once()) {
      return -1;
    }
  }
  const auto start = Clock::now();
  const auto budget = std::chrono::duration<double>(seconds);
  long n = 0;
  while (Clock::now() - start < budget) {
    for (int i = 0; i < 16; ++i) {
      if (!once()) {
        return -1;
      }
    }
    n += 16;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace cocoon::bench

int main(int argc, char** argv) {
  using namespace cocoon::bench;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const std::filesystem::path testdata = argc > 2 ? argv[2] : COCOON_TESTDATA_DIR;
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("verify_bench." + std::to_string(::getpid()));

  std::printf("%-46s %10s %8s\n", "operation", "ops/s", "vs floor");
  int status = 0;
  std::vector<Row> rows;
  rows.push_back(ecdsaP384Floor());
  for (Row& row : snpRows(testdata, scratch)) {
    rows.push_back(std::move(row));
  }
  for (Row& row : tdxRows(testdata, scratch)) {
    rows.push_back(std::move(row));
  }
  double floor_ops = 0;
  for (const Row& row : rows) {
    const double ops = opsPerSecond(row.once, seconds);
    if (ops < 0) {
      std::printf("%-46s %10s\n", row.name.c_str(), "FAILED");
      status = 1;
      continue;
    }
    if (row.floor) {
      floor_ops = ops;
    }
    std::printf("%-46s %10.0f %7.0f%%\n", row.name.c_str(), ops,
                floor_ops > 0 ? 100.0 * ops / floor_ops : 0.0);
  }
  (void)cocoon::removeAll(scratch);
  return status;
}
