// SPDX-License-Identifier: Apache-2.0
// Fuzzes the OVMF/TDVF parser (footer GUID table, "ASEV" and "TDVF" metadata) and the
// measurements built on it, over images capped at 256 KiB so a run stays fast.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "measure/ovmf.h"
#include "measure/snp.h"
#include "measure/tdx.h"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) {
    return 0;
  }
  cocoon::ByteSpan in(data, size);
  auto image = cocoon::measure::parseOvmf(in);
  if (!image) {
    require(image.error().code == cocoon::Code::kInvalidArgument);
    return 0;
  }
  for (const auto& entry : image->entries) {
    require(entry.offset + entry.data.size() <= size);
  }
  // Sections may declare up to a million pages each; measure only small layouts.
  std::uint64_t pages = 0;
  for (const auto& s : image->sev_sections) {
    pages += s.size / 4096;
  }
  for (const auto& s : image->tdx_sections) {
    pages += s.memory_data_size / 4096;
  }
  if (pages > 1024) {
    return 0;
  }
  cocoon::measure::SnpLaunchConfig config;
  config.vcpus = 2;
  config.kernel_hashes = cocoon::measure::hashKernelInputs({}, {}, "");
  auto snp = cocoon::measure::snpLaunchDigest(*image, config);
  require(snp || snp.error().code == cocoon::Code::kInvalidArgument);
  auto mrtd = cocoon::measure::tdxMrtd(*image);
  require(mrtd || mrtd.error().code == cocoon::Code::kInvalidArgument);
  return 0;
}
