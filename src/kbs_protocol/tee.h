// SPDX-License-Identifier: Apache-2.0
// The TEE kinds a KBS attestation Request names in "tee" (PROTOCOLS.md §1.1, kbs-types Tee).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace cocoon::kbs_protocol {

// One enumerator per wire string; kSample and kSampleDevice exist for testing only and
// must never be trusted as evidence of a real TEE.
enum class Tee : std::uint8_t {
  kSample,        // "sample"
  kSampleDevice,  // "sampledevice"
  kTdx,           // "tdx"
  kSgx,           // "sgx"
  kSnp,           // "snp"
  kAzSnpVtpm,     // "az-snp-vtpm"
  kAzTdxVtpm,     // "az-tdx-vtpm"
  kCca,           // "cca"
  kCsv,           // "csv"
  kHygonDcu,      // "hygondcu"
  kSe,            // "se"
  kTpm,           // "tpm"
  kNvidia,        // "nvidia"
};

// The wire string of `tee`, as above.
std::string_view teeName(Tee tee);

// Parses a wire string (exact, case-sensitive). Fails with kUnimplemented for any other
// string, naming it.
Result<Tee> parseTee(std::string_view name);

}  // namespace cocoon::kbs_protocol
