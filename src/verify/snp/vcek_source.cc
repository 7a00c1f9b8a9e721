// SPDX-License-Identifier: Apache-2.0
// VCEK lookup in the offline cache and on AMD KDS.
#include "verify/snp/vcek_source.h"

#include "common/encoding.h"
#include "common/files.h"

namespace cocoon::verify::snp {
namespace {

constexpr std::size_t kMaxVcekBytes = 64 * 1024;
// Turin's KDS names a chip by the first 8 bytes of CHIP_ID.
constexpr std::size_t kTurinHwidBytes = 8;

}  // namespace

std::string hwidHex(const VcekId& id) {
  const std::size_t n = id.product == Product::kTurin ? kTurinHwidBytes : id.chip_id.size();
  return hexEncode(ByteSpan(id.chip_id).first(n));
}

std::string kdsVcekUrl(std::string_view base_url, const VcekId& id) {
  std::string url =
      fmt::format("{}/vcek/v1/{}/{}?blSPL={:02}&teeSPL={:02}&snpSPL={:02}&ucodeSPL={:02}", base_url,
                  productName(id.product), hwidHex(id), id.tcb.bootloader, id.tcb.tee, id.tcb.snp,
                  id.tcb.microcode);
  if (id.tcb.fmc) {
    url += fmt::format("&fmcSPL={:02}", *id.tcb.fmc);
  }
  return url;
}

std::vector<std::filesystem::path> vcekCachePaths(const std::filesystem::path& dir,
                                                  const VcekId& id) {
  const std::filesystem::path chip = dir / "vcek" / hwidHex(id);
  return {chip / (tcbPrefix(id.tcb) + "_vcek.der"), chip / "vcek.der"};
}

Result<Bytes> loadCachedVcek(const std::filesystem::path& dir, const VcekId& id) {
  const auto paths = vcekCachePaths(dir, id);
  for (const auto& path : paths) {
    auto der = readFile(path, kMaxVcekBytes);
    if (der) {
      return der;
    }
    if (der.error().code != Code::kNotFound) {
      return fail(der.error());
    }
  }
  return fail(Code::kNotFound, "no VCEK in the cache ({} or {})", paths[0].string(),
              paths[1].filename().string());
}

Result<Bytes> fetchVcek(http::HttpClient& client, std::string_view base_url, const VcekId& id) {
  http::Request request;
  request.url = kdsVcekUrl(base_url, id);
  COCOON_ASSIGN_OR_RETURN(http::Response response, client.send(request, kMaxVcekBytes));
  if (response.status != 200) {
    return fail(Code::kUnavailable, "KDS {} answered HTTP {}", http::redactUrl(request.url),
                response.status);
  }
  return std::move(response.body);
}

Status storeCachedVcek(const std::filesystem::path& dir, const VcekId& id, ByteSpan der) {
  const std::filesystem::path path = vcekCachePaths(dir, id).front();
  COCOON_TRY(createDirectories(path.parent_path()));
  return writeFileAtomic(path, der);
}

}  // namespace cocoon::verify::snp
