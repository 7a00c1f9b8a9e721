// SPDX-License-Identifier: Apache-2.0
// TDREPORT fields, QGS GET_QUOTE framing, CCEL trimming.
#include "attest/tdx/messages.h"

#include "attest/device/byte_writer.h"
#include "common/byte_reader.h"

namespace cocoon::attest::tdx {
namespace {

constexpr std::size_t kQgsHeaderSize = 16;

Result<std::size_t> digestSize(std::uint16_t alg, std::size_t offset) {
  switch (alg) {  // TCG Algorithm Registry
    case 0x0004:  // SHA-1
      return 20;
    case 0x000B:  // SHA-256
    case 0x0012:  // SM3-256
      return 32;
    case 0x000C:  // SHA-384
      return 48;
    case 0x000D:  // SHA-512
      return 64;
    default:
      return fail(Code::kInvalidArgument, "CCEL digest algorithm {:#06x} at offset {} is unknown",
                  alg, offset);
  }
}

}  // namespace

Result<TdReport> parseTdReport(ByteSpan report) {
  if (report.size() > kTdReportSize) {
    return fail(Code::kInvalidArgument, "TDREPORT is {} bytes, expected {}", report.size(),
                kTdReportSize);
  }
  ByteReader in(report);
  TdReport r;
  // REPORTMACSTRUCT: REPORTTYPE (type, subtype, version, reserved), reserved[12],
  // CPUSVN[16], TEE_TCB_INFO_HASH[48], TEE_INFO_HASH[48], REPORTDATA[64], reserved[32],
  // MAC[32]; then TEE_TCB_INFO[239], reserved[17], TDINFO.
  COCOON_ASSIGN_OR_RETURN(r.report_type, in.readU8());
  COCOON_TRY(in.skip(3 + 12 + 16 + 48 + 48));
  COCOON_TRY(in.readArray(r.report_data));
  COCOON_TRY(in.skip(32 + 32 + 239 + 17));
  // TDINFO: ATTRIBUTES[8], XFAM[8], MRTD[48], MRCONFIGID[48], MROWNER, MROWNERCONFIG,
  // RTMR[4][48], SERVTD_HASH[48], reserved[64].
  COCOON_TRY(in.skip(16));
  COCOON_TRY(in.readArray(r.mr_td));
  COCOON_TRY(in.readArray(r.mr_config_id));
  COCOON_TRY(in.skip(48 + 48 + 4 * 48 + 48 + 64));
  COCOON_TRY(in.expectEnd());
  if (r.report_type != kTdxReportType) {
    return fail(Code::kInvalidArgument, "TDREPORT type {:#04x} at offset 0, expected {:#04x}",
                r.report_type, kTdxReportType);
  }
  return r;
}

Bytes buildQgsQuoteRequest(ByteSpan td_report) {
  const auto size = static_cast<std::uint32_t>(kQgsHeaderSize + 8 + td_report.size());
  Bytes framed{static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
               static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
  Bytes message = device::LeWriter()
                      .u16(kQgsMajorVersion)
                      .u16(0)
                      .u32(kQgsGetQuoteRequest)
                      .u32(size)
                      .u32(0)
                      .u32(static_cast<std::uint32_t>(td_report.size()))
                      .u32(0)
                      .bytes(td_report)
                      .take();
  framed.insert(framed.end(), message.begin(), message.end());
  return framed;
}

Result<Bytes> parseQgsQuoteResponse(ByteSpan message) {
  ByteReader in(message);
  COCOON_ASSIGN_OR_RETURN(std::uint16_t major, in.readU16Le());
  COCOON_TRY(in.skip(2));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t type, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t error_code, in.readU32Le());
  if (major != kQgsMajorVersion) {
    return fail(Code::kInvalidArgument, "QGS message major version {}, expected {}", major,
                kQgsMajorVersion);
  }
  if (type != kQgsGetQuoteResponse) {
    return fail(Code::kInvalidArgument, "QGS message type {}, expected GET_QUOTE_RESP ({})", type,
                kQgsGetQuoteResponse);
  }
  if (size != message.size()) {
    return fail(Code::kInvalidArgument, "QGS header size {} but the message has {} bytes", size,
                message.size());
  }
  if (error_code != 0) {
    return fail(Code::kUnavailable, "the QGS could not make a quote: error code {:#x}", error_code);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint32_t id_size, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t quote_size, in.readU32Le());
  if (static_cast<std::uint64_t>(id_size) + quote_size != in.remaining()) {
    return fail(Code::kInvalidArgument,
                "QGS selected_id_size {} + quote_size {} != the {} bytes after offset {}", id_size,
                quote_size, in.remaining(), in.offset());
  }
  COCOON_TRY(in.skip(id_size));
  if (quote_size == 0) {
    return fail(Code::kDataLoss, "the QGS answered with an empty quote");
  }
  ByteSpan quote = in.readRest();
  return Bytes(quote.begin(), quote.end());
}

Result<Bytes> trimCcel(ByteSpan ccel) {
  ByteReader in(ccel);
  // TCG_PCR_EVENT: PCRIndex, EventType, SHA-1 digest, EventSize, Event.
  COCOON_TRY(in.skip(4 + 4 + 20));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t header_size, in.readU32Le());
  COCOON_TRY(in.skip(header_size));
  for (;;) {
    const std::size_t start = in.offset();
    ByteReader peek(ccel.subspan(start));
    auto marker = peek.readU64Le();
    if (!marker) {
      return fail(Code::kOutOfRange, "CCEL ends at offset {} without an end marker", start);
    }
    if (*marker == 0 || *marker == ~std::uint64_t{0}) {
      Bytes out(ccel.begin(), ccel.begin() + static_cast<std::ptrdiff_t>(start));
      out.insert(out.end(), 8, 0xFF);
      return out;
    }
    // TCG_PCR_EVENT2: PCRIndex, EventType, TPML_DIGEST_VALUES, EventSize, Event.
    COCOON_TRY(in.skip(8));
    COCOON_ASSIGN_OR_RETURN(std::uint32_t count, in.readU32Le());
    for (std::uint32_t i = 0; i < count; ++i) {
      COCOON_ASSIGN_OR_RETURN(std::uint16_t alg, in.readU16Le());
      COCOON_ASSIGN_OR_RETURN(std::size_t n, digestSize(alg, in.offset() - 2));
      COCOON_TRY(in.skip(n));
    }
    COCOON_ASSIGN_OR_RETURN(std::uint32_t event_size, in.readU32Le());
    COCOON_TRY(in.skip(event_size));
  }
}

}  // namespace cocoon::attest::tdx
