// SPDX-License-Identifier: Apache-2.0
// Where a VCEK comes from when the evidence carries none: an offline cache directory, then
// AMD's Key Distribution Service (KDS) when the operator allows network access.
//
// Trust: cached and fetched certificates are untrusted bytes; the verifier checks their
// chain to the pinned ARK like any VCEK from the evidence.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "http/client.h"
#include "verify/snp/report.h"

namespace cocoon::verify::snp {

// Which VCEK a report needs: the chip, the product and the reported TCB.
struct VcekId {
  Product product = Product::kMilan;
  std::array<std::uint8_t, 64> chip_id{};
  TcbVersion tcb;
};

// The hwID as KDS names it: lowercase hex of CHIP_ID; Turin's KDS takes its first 8 bytes.
std::string hwidHex(const VcekId& id);

// https://kdsintf.amd.com/vcek/v1/<Product>/<hwid>?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..
// (AMD VCEK spec 57230 §4; Turin adds fmcSPL), with `base_url` in place of the AMD host.
std::string kdsVcekUrl(std::string_view base_url, const VcekId& id);

// The cache files tried in order (trustee's layout): <dir>/vcek/<hwid>/<tcb prefix>_vcek.der,
// then <dir>/vcek/<hwid>/vcek.der.
std::vector<std::filesystem::path> vcekCachePaths(const std::filesystem::path& dir,
                                                  const VcekId& id);

// The DER of the first cache file that exists. kNotFound when none does; the errors of
// common/files.h readFile for a file that cannot be read (at most 64 KiB).
Result<Bytes> loadCachedVcek(const std::filesystem::path& dir, const VcekId& id);

// GETs the VCEK from KDS. kUnavailable naming the URL and status for a non-200 answer;
// the HttpClient's errors otherwise. The body is not parsed here.
Result<Bytes> fetchVcek(http::HttpClient& client, std::string_view base_url, const VcekId& id);

// Stores a fetched VCEK as <dir>/vcek/<hwid>/<tcb prefix>_vcek.der (atomic replace).
// The errors of common/files.h.
Status storeCachedVcek(const std::filesystem::path& dir, const VcekId& id, ByteSpan der);

}  // namespace cocoon::verify::snp
