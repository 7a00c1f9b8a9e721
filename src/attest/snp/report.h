// SPDX-License-Identifier: Apache-2.0
// SEV-SNP guest messages: the ATTESTATION_REPORT as CoCo's evidence JSON (the Rust `sev`
// crate's serde form), the extended report's certificate table, and the /dev/sev-guest
// ioctl request and response layouts (linux/sev-guest.h, SNP ABI spec 56860).
//
// Trust: the report and the table come from the PSP through the guest kernel, and the
// table from the host (untrusted); both are parsed with bounds checks only, and the remote
// verifier checks the report's signature.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "json/json.h"

namespace cocoon::attest::snp {

inline constexpr std::size_t kReportSize = 1184;  // SNP ABI Table 23 (0x4A0)
inline constexpr std::size_t kReportDataSize = 64;
inline constexpr std::size_t kMaxCertTableEntries = 16;

// One certificate of the extended report (GHCB spec Table "Certificate table").
struct CertTableEntry {
  std::array<std::uint8_t, 16> guid{};  // RFC 4122 byte order, as the table stores it
  Bytes data;
};

// Parses a GHCB certificate table: 24-byte entries {guid, offset u32 LE, length u32 LE}
// ended by an all-zero entry; offsets are from the start of the table.
// Errors: kOutOfRange for a truncated table; kInvalidArgument for a certificate outside the
// buffer (entry index, offset and length named) or more than kMaxCertTableEntries entries.
Result<std::vector<CertTableEntry>> parseCertTable(ByteSpan table);

// `sev` crate CertType name of a GUID: "ARK", "ASK", "VCEK", "VLEK", "CRL", "Empty"; other
// GUIDs serialise as {"OTHER": "<uuid>"}.
json::Json certTypeJson(const std::array<std::uint8_t, 16>& guid);

// The report as `sev` 6.x serialises AttestationReport with serde_json (byte arrays as
// arrays of numbers; TCB versions as {fmc, bootloader, tee, snp, microcode} with the
// generation's layout; cpuid_* null before version 3; mit vectors null before version 5).
// Errors: kInvalidArgument when the size is not kReportSize, the version is below 2, a
// version-2 report has a masked (all-zero) chip_id, or a version-3+ report names a CPU
// family/model that is not Milan, Genoa or Turin — the cases the `sev` crate refuses.
Result<json::Json> reportToJson(ByteSpan report);

// linux/sev-guest.h: SNP_GET_REPORT and SNP_GET_EXT_REPORT, _IOWR('S', 0 / 2,
// struct snp_guest_request_ioctl) with its 32-byte size.
inline constexpr unsigned long kSnpGetReport = 0xc0205300UL;
inline constexpr unsigned long kSnpGetExtReport = 0xc0205302UL;
inline constexpr std::size_t kResponseSize = 4000;  // struct snp_report_resp
// snp_guest_request_ioctl.exitinfo2 upper half: the host wants a larger certs buffer.
inline constexpr std::uint32_t kVmmErrorInvalidLength = 1;

// struct snp_report_req (96 bytes): user_data[64], vmpl u32, reserved[28].
// REQUIRES: report_data.size() == kReportDataSize.
Bytes buildReportRequest(ByteSpan report_data, std::uint32_t vmpl);

// The report from a MSG_REPORT_RSP (SNP ABI Table 25): status u32, report_size u32,
// reserved[24], report. Errors: kUnavailable naming a non-zero firmware status;
// kInvalidArgument when report_size is not kReportSize; kOutOfRange when truncated.
Result<Bytes> parseReportResponse(ByteSpan response);

}  // namespace cocoon::attest::snp
