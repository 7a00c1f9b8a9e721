// SPDX-License-Identifier: Apache-2.0
// Intel PCS v4 collateral fetching with an in-memory and an optional on-disk cache.
#include "verify/tdx/pcs.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"
#include "common/files.h"

namespace cocoon::verify::tdx {
namespace {

constexpr std::size_t kMaxDocument = 1024 * 1024;

std::string upperHex(ByteSpan bytes) {
  std::string hex = hexEncode(bytes);
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return hex;
}

}  // namespace

PcsCollateralSource::PcsCollateralSource(http::HttpClient& client, std::string base_url,
                                         std::optional<std::filesystem::path> cache_dir,
                                         std::chrono::seconds refresh)
    : client_(client),
      base_url_(std::move(base_url)),
      cache_dir_(std::move(cache_dir)),
      refresh_(refresh) {
  while (!base_url_.empty() && base_url_.back() == '/') {
    base_url_.pop_back();
  }
}

Result<std::optional<Bytes>> PcsCollateralSource::get(const std::string& path,
                                                      bool not_found_ok) const {
  http::Request request;
  request.url = base_url_ + path;
  COCOON_ASSIGN_OR_RETURN(http::Response response, client_.send(request, kMaxDocument));
  if (response.status == 404 && not_found_ok) {
    return std::optional<Bytes>();
  }
  if (response.status != 200) {
    return fail(Code::kUnavailable, "GET {}: HTTP status {}", http::redactUrl(request.url),
                response.status);
  }
  return std::optional<Bytes>(std::move(response.body));
}

Result<std::optional<RawCollateral>> PcsCollateralSource::fetch(
    const std::array<std::uint8_t, 6>& fmspc) const {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(fmspc);
    if (it != cache_.end() && now - it->second.fetched < refresh_) {
      return it->second.raw;
    }
  }
  // Fetched outside the lock: concurrent misses may fetch twice, never block each other.
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> tcb,
                          get("/tdx/certification/v4/tcb?fmspc=" + upperHex(fmspc), true));
  std::optional<RawCollateral> raw;
  if (tcb) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> qe,
                            get("/tdx/certification/v4/qe/identity", false));
    raw.emplace();
    raw->tcb_info = toString(*tcb);
    raw->qe_identity = toString(*qe);
    for (const char* ca : {"platform", "processor"}) {
      COCOON_ASSIGN_OR_RETURN(
          std::optional<Bytes> crl,
          get(fmt::format("/sgx/certification/v4/pckcrl?ca={}&encoding=der", ca), true));
      if (crl) {
        if (cache_dir_) {
          COCOON_TRY(writeFileAtomic(*cache_dir_ / fmt::format("pckcrl-{}.crl", ca), *crl));
        }
        raw->crls.push_back(std::move(*crl));
      }
    }
    if (cache_dir_) {
      COCOON_TRY(writeFileAtomic(*cache_dir_ / (hexEncode(fmspc) + ".tcbinfo.json"), *tcb));
      COCOON_TRY(writeFileAtomic(*cache_dir_ / "qeIdentity.json", *qe));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_[fmspc] = Entry{raw, now};
  return raw;
}

}  // namespace cocoon::verify::tdx
