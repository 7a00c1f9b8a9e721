// SPDX-License-Identifier: Apache-2.0
// The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1; Intel SGX PCK
// Certificate and CRL Profile §1.3.5): TCB components, PCESVN, FMSPC, PCE-ID, SGX type and
// platform instance ID.
//
// Trust: the extension is attacker-controlled DER until the certificate carrying it has
// been chain-verified to the pinned Intel SGX Root CA.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::verify::tdx {

inline constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";

struct PckExtensions {
  std::array<std::uint8_t, 16> cpu_svn_components{};  // SGX TCB components 1..16
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> cpu_svn{};
  std::array<std::uint8_t, 2> pce_id{};
  std::array<std::uint8_t, 6> fmspc{};
  std::uint8_t sgx_type = 0;  // 0 Standard, 1 Scalable, 2 Scalable with integrity
  // Present in certificates issued by the Platform CA only.
  std::optional<std::array<std::uint8_t, 16>> platform_instance_id;
};

// Parses the extension's DER (the extnValue contents). Unknown members are skipped, as the
// profile adds members over time. Errors: kOutOfRange for truncated DER; kInvalidArgument
// for DER that is not the profile's structure (wrong tags, an INTEGER out of range, a
// member of the wrong size) or a missing TCB, PCE-ID, FMSPC or SGX type member (named in
// the message).
Result<PckExtensions> parsePckExtensions(ByteSpan der);

}  // namespace cocoon::verify::tdx
