// SPDX-License-Identifier: Apache-2.0
// Fuzzes the PE/COFF reader behind the Authenticode digest (measure/pe.h) that
// `cocoon measure tdx` applies to the guest kernel: headers, section table, the security
// directory and trailing data, all bounds-checked.
#include <cstdint>

#include "measure/pe.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cocoon::ByteSpan pe(data, size);
  (void)cocoon::measure::peAuthenticodeRanges(pe);
  (void)cocoon::measure::peAuthenticodeSha384(pe);
  return 0;
}
