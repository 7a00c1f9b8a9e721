// SPDX-License-Identifier: Apache-2.0
// Intel TDX guest messages: the TDREPORT from TDX_CMD_GET_REPORT0 (linux/tdx-guest.h, TDX
// module ABI "TDREPORT_STRUCT"), the Quote Generation Service's GET_QUOTE messages
// (Intel DCAP qgs_msg_lib.h, framed by a 4-byte big-endian length on vsock), and the CCEL
// event log trimmed to its events as CoCo sends it.
//
// Trust: the TDREPORT comes from the TDX module through our kernel; the QGS answer and the
// CCEL come from the host (untrusted). All are parsed with bounds checks; the quote itself
// is verified by the KBS.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::attest::tdx {

inline constexpr std::size_t kReportDataSize = 64;
inline constexpr std::size_t kTdReportSize = 1024;
// _IOWR('T', 1, struct tdx_report_req) with its 64 + 1024 bytes.
inline constexpr unsigned long kTdxCmdGetReport0 = 0xc4405401UL;
inline constexpr std::uint8_t kTdxReportType = 0x81;  // REPORTTYPE.TYPE of a TD

// The fields of TDREPORT_STRUCT this side looks at (REPORTMACSTRUCT, then TDINFO at 512).
struct TdReport {
  std::uint8_t report_type = 0;
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, 48> mr_td{};
  std::array<std::uint8_t, 48> mr_config_id{};
};

// Errors: kOutOfRange when shorter than kTdReportSize, kInvalidArgument when longer or when
// REPORTTYPE.TYPE is not kTdxReportType.
Result<TdReport> parseTdReport(ByteSpan report);

inline constexpr std::uint16_t kQgsMajorVersion = 1;
inline constexpr std::uint32_t kQgsGetQuoteRequest = 0;
inline constexpr std::uint32_t kQgsGetQuoteResponse = 1;
inline constexpr std::size_t kMaxQgsMessageBytes = 1 << 20;

// The framed GET_QUOTE_REQ: u32 BE length, then header {major 1, minor 0, type 0,
// size, error_code 0} (u16, u16, u32, u32, u32 LE), report_size, id_list_size 0, report.
Bytes buildQgsQuoteRequest(ByteSpan td_report);

// The quote of an unframed GET_QUOTE_RESP (the length prefix already removed).
// Errors: kInvalidArgument for another major version or type, a header size that is not
// the message's, or sizes that do not add up (all named); kUnavailable naming a non-zero
// QGS error_code; kOutOfRange when truncated; kDataLoss for an empty quote.
Result<Bytes> parseQgsQuoteResponse(ByteSpan message);

// CCEL trimmed as guest-components does: the log up to its first event slot that starts
// with 8 bytes of 0x00 or 0xFF, followed by 8 bytes of 0xFF. The first event is the
// TCG_PCR_EVENT (SHA-1 format) header, then TCG_PCR_EVENT2 events with digests of
// SHA-1/256/384/512 or SM3. Errors: kOutOfRange for an event running past the end (its
// offset named); kInvalidArgument for an unknown digest algorithm (named with its offset).
Result<Bytes> trimCcel(ByteSpan ccel);

}  // namespace cocoon::attest::tdx
