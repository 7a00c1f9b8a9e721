// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TPM quote parsers; the first byte picks the input: 0 TPMS_ATTEST, 1
// TPMT_SIGNATURE, 2 `tpm` evidence JSON through the verifier (which trusts no AK), 3 a
// crypto-agile event log replay.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/bytes.h"
#include "json/json.h"
#include "verify/tpm/event_log.h"
#include "verify/tpm/structures.h"
#include "verify/tpm/verifier.h"

namespace {

using namespace cocoon::verify;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void fuzzAttest(cocoon::ByteSpan in) {
  auto q = tpm::parseQuoteAttest(in);
  if (!q) {
    return;
  }
  require(q->magic == tpm::kTpmGeneratedValue && q->type == tpm::kTpmStAttestQuote);
  require(q->extra_data.size() <= tpm::kMaxDataSize);
  for (const auto& sel : q->pcr_select) {
    for (unsigned pcr : tpm::selectedPcrs(sel)) {
      require(pcr < 8 * tpm::kMaxPcrSelectSize);
    }
  }
}

void fuzzSignature(cocoon::ByteSpan in) {
  auto s = tpm::parseSignature(in);
  if (!s) {
    return;
  }
  require(s->sig_alg == tpm::kAlgEcdsa ? s->rsa_signature.empty()
                                       : s->ecdsa_r.empty() && s->ecdsa_s.empty());
}

void fuzzEvidence(cocoon::ByteSpan in) {
  auto j = cocoon::json::parseJson(cocoon::toString(in));
  if (!j) {
    return;
  }
  static const tpm::TpmVerifier verifier{TpmTrustConfig{}};
  Expectations expected;
  expected.report_data = cocoon::Bytes(32, 0);
  // Nothing is trusted, so nothing may verify.
  require(!verifier.verify(*j, expected).has_value());
}

void fuzzEventLog(cocoon::ByteSpan in) {
  auto r = tpm::replayEventLog(in);
  if (r) {
    require(r->events <= tpm::kMaxLogEvents);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const cocoon::ByteSpan in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzzAttest(in);
      break;
    case 1:
      fuzzSignature(in);
      break;
    case 2:
      fuzzEvidence(in);
      break;
    default:
      fuzzEventLog(in);
      break;
  }
  return 0;
}
