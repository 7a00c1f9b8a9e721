// SPDX-License-Identifier: Apache-2.0
// The `snp` evidence JSON: CoCo's snp attester form (report as the Rust `sev` crate
// serialises it, certificate table as `cert_chain`) and cocoon's raw form.
//
// Trust: the JSON comes from the guest through the untrusted host; nothing in it is
// trusted until the report's signature and the VCEK/VLEK chain verify.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "json/json.h"
#include "verify/snp/report.h"

namespace cocoon::verify::snp {

struct SnpEvidence {
  // The 1184 report bytes whose first kSignedSize bytes the signature covers.
  Bytes report;
  // VCEK/VLEK/ASK/ARK/other certificates the evidence carries (may be empty).
  std::vector<CertEntry> certs;
};

// At most this much DER per certificate in cert_chain.
inline constexpr std::size_t kMaxCertBytes = 64 * 1024;

// Accepts an object with
//   "attestation_report": either the `sev` crate's serde object (versions 4-7 of the crate:
//       TCBs as {bootloader, tee, snp, microcode[, fmc][, _reserved]}, key_info or
//       _author_key_en, current/committed as {major, minor, build} or current_build...,
//       signature {r, s} as 72-byte arrays), which is re-encoded into the firmware layout
//       (the crate drops reserved bytes, which the firmware zeroes, so the signed bytes are
//       the firmware's); or a standard base64 string of the raw report, optionally followed
//       by a GHCB certificate table (what the extended report request returns);
//   "cert_chain": absent, null or [{"cert_type": "VCEK"|"VLEK"|"ASK"|"ARK"|"CRL"|
//       {"OTHER": "<guid>"}, "data": [byte, ...]}, ...] (at most kMaxCertEntries).
// Unknown members are ignored (CoCo may add some). Errors: kInvalidArgument naming the
// member (missing, wrong type, byte value or array length out of range, bad base64,
// certificate table errors), kUnimplemented for a report version other than 2, 3 or 5.
Result<SnpEvidence> parseSnpEvidence(const json::Json& evidence);

// The `sev` crate's serde object for `report` (the newest crate's shape, fmc only for
// Turin), for test builders and the attester side.
json::Json snpReportToJson(const SnpReport& report);

}  // namespace cocoon::verify::snp
