// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TDX CCEL event-log parser, its RTMR replay and its claim form.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "verify/tdx/ccel.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto log = cocoon::verify::tdx::parseCcel(cocoon::ByteSpan(data, size));
  if (!log) {
    return 0;
  }
  if (log->events.size() > cocoon::verify::tdx::kMaxCcelEvents) {
    std::abort();
  }
  for (const auto& rtmr : cocoon::verify::tdx::replayRtmrs(*log)) {
    if (rtmr.size() != 48) {
      std::abort();
    }
  }
  (void)cocoon::verify::tdx::ccelEventsJson(*log);
  return 0;
}
