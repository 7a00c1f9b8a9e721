// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TDX quote parser and the `tdx` verifier; the first byte picks the input: 0 a
// raw quote through parseTdxQuote/validateTdxQuote, 1 the same bytes through the verifier
// (pinned Intel root, no collateral), 2 `tdx` evidence JSON through the verifier.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "json/json.h"
#include "verify/tdx/quote.h"
#include "verify/tdx/verifier.h"

namespace {

using namespace cocoon::verify;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void fuzzQuote(cocoon::ByteSpan in) {
  auto q = tdx::parseTdxQuote(in);
  if (!q) {
    return;
  }
  (void)tdx::validateTdxQuote(*q);
  require(q->signed_data.size() <= in.size());
  require(q->qe_report_raw.size() == tdx::kEnclaveReportSize);
  require(q->pck_chain_pem.size() <= tdx::kMaxPckChainSize);
  require(q->body.mr_servicetd.has_value() == (q->body_type == tdx::kBodyTypeTdx15));
}

const tdx::TdxVerifier& verifier() {
  static const tdx::TdxVerifier kVerifier{TdxTrustConfig{}};
  return kVerifier;
}

Expectations expectations() {
  Expectations e;
  e.report_data = cocoon::Bytes(64, 0);
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const cocoon::ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzzQuote(in);
      break;
    case 1:
      (void)verifier().verifyQuote(in, std::nullopt, expectations());
      break;
    default: {
      auto j = cocoon::json::parseJson(cocoon::toString(in));
      if (j) {
        (void)verifier().verify(*j, expectations());
      }
      break;
    }
  }
  return 0;
}
