// SPDX-License-Identifier: Apache-2.0
// Fuzzes the attesters' parsers of host- and device-supplied bytes; the first byte picks
// the input: 0 SNP certificate table (auxblob / extended report certs) to evidence JSON,
// 1 SNP report to JSON (resized to 1184 bytes), 2 SNP MSG_REPORT_RSP, 3 QGS GET_QUOTE
// answer, 4 TDREPORT, 5 CCEL trimming.
#include <cstdint>
#include <cstdlib>

#include "attest/snp.h"
#include "attest/snp/report.h"
#include "attest/tdx/messages.h"
#include "common/bytes.h"

namespace {

using namespace cocoon;
using namespace cocoon::attest;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void fuzzCertTable(ByteSpan in) {
  auto entries = snp::parseCertTable(in);
  if (!entries) {
    return;
  }
  require(entries->size() <= snp::kMaxCertTableEntries);
  for (const auto& e : *entries) {
    require(e.data.size() <= in.size());
    (void)snp::certTypeJson(e.guid);
  }
}

void fuzzReport(ByteSpan in) {
  Bytes report(in.begin(), in.end());
  report.resize(snp::kReportSize, 0);
  auto j = snp::reportToJson(report);
  if (j) {
    require((*j)["signature"]["r"].size() == 72);
    (void)snpEvidenceJson(report, std::nullopt);
  }
}

void fuzzTrim(ByteSpan in) {
  auto once = tdx::trimCcel(in);
  if (!once) {
    return;
  }
  auto twice = tdx::trimCcel(*once);
  require(twice && *twice == *once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  ByteSpan in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      fuzzCertTable(in);
      break;
    case 1:
      fuzzReport(in);
      break;
    case 2:
      if (auto r = snp::parseReportResponse(in)) {
        require(r->size() == snp::kReportSize);
      }
      break;
    case 3:
      if (auto q = tdx::parseQgsQuoteResponse(in)) {
        require(!q->empty() && q->size() < in.size());
      }
      break;
    case 4:
      if (auto r = tdx::parseTdReport(in)) {
        require(r->report_type == tdx::kTdxReportType);
      }
      break;
    default:
      fuzzTrim(in);
      break;
  }
  return 0;
}
