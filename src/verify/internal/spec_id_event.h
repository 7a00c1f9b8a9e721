// SPDX-License-Identifier: Apache-2.0
// The Spec ID header that opens every crypto-agile event log (TPM event logs and TDX CCEL
// alike): which digest algorithms the TCG_PCR_EVENT2 records carry, and their sizes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/byte_reader.h"
#include "common/result.h"

namespace cocoon::verify::internal {

struct DigestSize {
  std::uint16_t alg;  // TPM_ALG_ID
  std::uint16_t size;
};

struct SpecIdHeader {
  std::uint32_t index = 0;  // PCR (TPM) or MR index (CCEL) of the header record
  std::vector<DigestSize> algorithms;
};

// Reads the §10.2.1 TCG_PCR_EVENT carrying the §10.4.5.1 TCG_EfiSpecIDEvent from `in`
// (PC Client PFP). Checks the type (EV_NO_ACTION), the "Spec ID Event03" signature, 1..8
// algorithms with digests of at most 64 bytes, and that the record has nothing left over.
// The index is returned, not checked: TPM logs write 0, TDVF's CCEL writes 1.
// Errors: kInvalidArgument naming `log_name` ("event log header", "CCEL header") and what
// was found; kOutOfRange (ByteReader) for a truncated record.
Result<SpecIdHeader> readSpecIdHeader(ByteReader& in, std::string_view log_name);

}  // namespace cocoon::verify::internal
