// SPDX-License-Identifier: Apache-2.0
// tdx rows: the `tdx` verifier on trustee's tdx_quote_6.dat without and with (warm, on disk)
// collateral, its parts (quote parse, CCEL parse and replay), and the ECDSA P-256 verify
// that a TDX quote needs at least five of (QE report, quote, PCK leaf, PCK CA, TCB info).
#include <memory>

#include "bench.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "verify/tdx/ccel.h"
#include "verify/tdx/quote.h"
#include "verify/tdx/verifier.h"

namespace cocoon::bench {
namespace {

constexpr std::size_t kMaxVector = 4 << 20;

Row verifyRow(std::string name, const verify::TdxTrustConfig& trust, const Bytes& quote,
              verify::Expectations expected) {
  auto verifier = std::make_shared<verify::tdx::TdxVerifier>(trust);
  auto ev = std::make_shared<json::Json>(json::Json{{"quote", base64Encode(quote)}});
  auto ex = std::make_shared<verify::Expectations>(std::move(expected));
  return Row{std::move(name),
             [verifier, ev, ex] { return verifier->verify(*ev, *ex).has_value(); }};
}

Row p256Floor() {
  auto key = std::make_shared<crypto::Key>(*crypto::Key::generate(crypto::KeyType::kEcP256));
  auto message = std::make_shared<Bytes>(632, 0x5a);  // header + TD report body
  auto sig = std::make_shared<Bytes>(*crypto::sign(*key, crypto::SignatureScheme::kEcdsaSha256,
                                                   *message, crypto::EcdsaEncoding::kRaw));
  return Row{"ecdsa_p256_verify (crypto::verify, tdx floor)", [key, message, sig] {
               return crypto::verify(*key, crypto::SignatureScheme::kEcdsaSha256, *message, *sig,
                                     crypto::EcdsaEncoding::kRaw)
                   .has_value();
             }};
}

}  // namespace

std::vector<Row> tdxRows(const std::filesystem::path& testdata,
                         const std::filesystem::path& scratch) {
  auto quote = readFile(testdata / "evidence/tdx/tdx_quote_6.dat", kMaxVector);
  auto tcb = readFile(testdata / "evidence/tdx/tcbInfo.json", kMaxVector);
  auto qe = readFile(testdata / "evidence/tdx/enclaveIdentity.json", kMaxVector);
  auto ccel = readFile(testdata / "evidence/tdx/CCEL_data", kMaxVector);
  if (!quote || !tcb || !qe || !ccel) {
    return {};
  }
  verify::Expectations expected;
  expected.report_data.assign(quote->begin() + 568, quote->begin() + 632);  // body report_data
  // Inside the collateral's validity (2025-10-28 .. 2025-11-26).
  expected.now = std::chrono::sys_days{std::chrono::year{2025} / 11 / 1};

  std::vector<Row> rows;
  rows.push_back(p256Floor());
  rows.push_back(verifyRow("tdx verify (no collateral)", {}, *quote, expected));
  const std::filesystem::path dir = scratch / "tdx-collateral";
  if (createDirectories(dir) && writeFileAtomic(dir / "00a06d080000.tcbinfo.json", *tcb) &&
      writeFileAtomic(dir / "qeIdentity.json", *qe)) {
    verify::TdxTrustConfig trust;
    trust.collateral_dir = dir;
    rows.push_back(verifyRow("tdx verify (collateral from disk)", trust, *quote, expected));
  }
  auto q = std::make_shared<Bytes>(std::move(*quote));
  rows.push_back(
      Row{"tdx quote parse", [q] { return verify::tdx::parseTdxQuote(*q).has_value(); }});
  auto log = std::make_shared<Bytes>(std::move(*ccel));
  rows.push_back(Row{"tdx CCEL parse + RTMR replay (1 MiB area)", [log] {
                       auto parsed = verify::tdx::parseCcel(*log);
                       return parsed && !verify::tdx::replayRtmrs(*parsed)[0].empty();
                     }});
  return rows;
}

}  // namespace cocoon::bench
