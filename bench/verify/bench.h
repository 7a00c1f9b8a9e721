// SPDX-License-Identifier: Apache-2.0
// The rows of verify_bench: each TEE contributes named operations, timed against the
// bare ECDSA floor of the same run.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cocoon::bench {

// One timed operation; `once` returns false when the operation failed (the row is then
// reported as an error, never timed). A floor row sets the 100% that the rows after it
// (up to the next floor) are compared with.
struct Row {
  std::string name;
  std::function<bool()> once;
  bool floor = false;
};

// Operations per second of `once` over about `seconds` of wall-clock time (after a short
// warm-up); a negative value when it failed.
double opsPerSecond(const std::function<bool()>& once, double seconds);

// The floor: OpenSSL EVP ECDSA P-384/SHA-384 verify of a 672-byte message (the size of
// an SNP report's signed part), without any cocoon code.
Row ecdsaP384Floor();

// The snp rows (real vectors from `testdata`/evidence/snp); empty when they are missing.
// `scratch` is a directory the rows may use for a VCEK cache.
std::vector<Row> snpRows(const std::filesystem::path& testdata,
                         const std::filesystem::path& scratch);
// The tdx rows (evidence/tdx); empty when the vectors are missing.
std::vector<Row> tdxRows(const std::filesystem::path& testdata,
                         const std::filesystem::path& scratch);

}  // namespace cocoon::bench
