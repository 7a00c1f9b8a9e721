// SPDX-License-Identifier: Apache-2.0
// Fuzzes the SEV-SNP parsers; the first byte picks the input: 0 ATTESTATION_REPORT (with a
// serialize round trip), 1 GHCB certificate table, 2 `snp` evidence JSON through the
// verifier (no cache, no network).
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "json/json.h"
#include "verify/snp/evidence.h"
#include "verify/snp/report.h"
#include "verify/snp/verifier.h"

namespace {

using namespace cocoon::verify;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void fuzzReport(cocoon::ByteSpan in) {
  auto r = snp::parseSnpReport(in);
  if (!r) {
    return;
  }
  const cocoon::Bytes again = snp::serializeSnpReport(*r);
  require(again.size() == snp::kReportSize);
  auto back = snp::parseSnpReport(again);
  require(back.has_value() && snp::serializeSnpReport(*back) == again);
}

void fuzzCertTable(cocoon::ByteSpan in) {
  auto entries = snp::parseCertTable(in);
  if (!entries) {
    return;
  }
  require(entries->size() <= snp::kMaxCertEntries);
  for (const auto& e : *entries) {
    require(!e.data.empty() && e.data.size() <= in.size());
  }
}

void fuzzEvidence(cocoon::ByteSpan in) {
  auto j = cocoon::json::parseJson(cocoon::toString(in));
  if (!j) {
    return;
  }
  static const snp::SnpVerifier verifier{SnpTrustConfig{}};
  Expectations expected;
  expected.report_data = cocoon::Bytes(64, 0);
  (void)verifier.verify(*j, expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const cocoon::ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzzReport(in);
      break;
    case 1:
      fuzzCertTable(in);
      break;
    default:
      fuzzEvidence(in);
      break;
  }
  return 0;
}
