// SPDX-License-Identifier: Apache-2.0
// Collateral from Intel PCS (API v4) or a PCCS speaking the same paths, for operators who
// allow the verifier network access.
//
// Trust: responses are untrusted bytes; the verifier checks their signatures with the
// pinned TCB Signing certificate like collateral from a directory.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "http/client.h"
#include "verify/tdx/collateral.h"

namespace cocoon::verify::tdx {

// GETs, relative to `base_url` (https://api.trustedservices.intel.com, or a PCCS such as
// https://pccs.example:8081):
//   /tdx/certification/v4/tcb?fmspc=<FMSPC>             TCB info (404: no collateral)
//   /tdx/certification/v4/qe/identity                    TD QE identity
//   /sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der   PCK CA CRLs
// and keeps the answer for an FMSPC in memory for `refresh` (collateral changes about
// monthly; the verifier still checks each document's nextUpdate). When `cache_dir` is set,
// fetched documents are also written there under the names DirectoryCollateralSource
// reads, so the same directory serves later offline runs. Thread-safe.
class PcsCollateralSource final : public CollateralSource {
 public:
  // REQUIRES: `client` outlives this source.
  PcsCollateralSource(http::HttpClient& client, std::string base_url,
                      std::optional<std::filesystem::path> cache_dir,
                      std::chrono::seconds refresh = std::chrono::hours(1));
  // Errors: kUnavailable naming the URL and status for an answer other than 200 (and 404
  // for the TCB info); the HttpClient's errors; the file errors of writing the cache.
  Result<std::optional<RawCollateral>> fetch(
      const std::array<std::uint8_t, 6>& fmspc) const override;

 private:
  Result<std::optional<Bytes>> get(const std::string& path, bool not_found_ok) const;

  http::HttpClient& client_;
  std::string base_url_;
  std::optional<std::filesystem::path> cache_dir_;
  std::chrono::seconds refresh_;
  mutable std::mutex mu_;
  struct Entry {
    std::optional<RawCollateral> raw;
    std::chrono::steady_clock::time_point fetched;
  };
  mutable std::map<std::array<std::uint8_t, 6>, Entry> cache_;  // guarded by mu_
};

}  // namespace cocoon::verify::tdx
