// SPDX-License-Identifier: Apache-2.0
// verify_bench [SECONDS] [TESTDATA_DIR]: verifications per second of each TEE's verifier
// next to the bare OpenSSL ECDSA P-384 verify, with the ratio (issue #6 goal: >= 50%).
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

  const Row floor = ecdsaP384Floor();
  const double floor_ops = opsPerSecond(floor.once, seconds);
  std::printf("%-40s %12s %8s\n", "operation", "ops/s", "vs floor");
  std::printf("%-40s %12.0f %7.0f%%\n", floor.name.c_str(), floor_ops, 100.0);
  int status = 0;
  std::vector<Row> rows = snpRows(testdata, scratch);
  for (Row& row : tdxRows(testdata, scratch)) {
    rows.push_back(std::move(row));
  }
  for (const Row& row : rows) {
    const double ops = opsPerSecond(row.once, seconds);
    if (ops < 0) {
      std::printf("%-40s %12s\n", row.name.c_str(), "FAILED");
      status = 1;
      continue;
    }
    std::printf("%-40s %12.0f %7.0f%%\n", row.name.c_str(), ops, 100.0 * ops / floor_ops);
  }
  (void)cocoon::removeAll(scratch);
  return status;
}
