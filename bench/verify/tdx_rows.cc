// SPDX-License-Identifier: Apache-2.0
// tdx rows: the `tdx` verifier (through the public registry) on trustee's tdx_quote_6.dat
// without and with (warm, on disk) collateral, next to the ECDSA P-256 verify of the quote
// signature: the one check a warm verifier must make for every quote (the PCK chain, QE
// report, TCB info and QE identity signatures are checked once per platform).
#include <memory>

#include "bench.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "verify/builtin.h"

namespace cocoon::bench {
namespace {

constexpr std::size_t kMaxVector = 4 << 20;

Row verifyRow(std::string name, const verify::TdxTrustConfig& trust, const Bytes& quote,
              verify::Expectations expected) {
  verify::BuiltinVerifierConfig config;
  config.tdx = trust;
  auto registry = std::make_shared<verify::VerifierRegistry>();
  if (!verify::registerBuiltinVerifiers(*registry, config)) {
    return Row{std::move(name), [] { return false; }, false};
  }
  auto ev = std::make_shared<json::Json>(json::Json{{"quote", base64Encode(quote)}});
  auto ex = std::make_shared<verify::Expectations>(std::move(expected));
  return Row{std::move(name),
             [registry, ev, ex] {
               const verify::Verifier* v = registry->find(kbs_protocol::Tee::kTdx);
               return v != nullptr && v->verify(*ev, *ex).has_value();
             },
             false};
}

Row p256Floor() {
  auto key = std::make_shared<crypto::Key>(*crypto::Key::generate(crypto::KeyType::kEcP256));
  auto message = std::make_shared<Bytes>(632, 0x5a);  // header + TD report body
  auto sig = std::make_shared<Bytes>(*crypto::sign(*key, crypto::SignatureScheme::kEcdsaSha256,
                                                   *message, crypto::EcdsaEncoding::kRaw));
  return Row{"ecdsa_p256_verify (crypto::verify, tdx floor)",
             [key, message, sig] {
               return crypto::verify(*key, crypto::SignatureScheme::kEcdsaSha256, *message, *sig,
                                     crypto::EcdsaEncoding::kRaw)
                   .has_value();
             },
             true};
}

}  // namespace

std::vector<Row> tdxRows(const std::filesystem::path& testdata,
                         const std::filesystem::path& scratch) {
  auto quote = readFile(testdata / "evidence/tdx/tdx_quote_6.dat", kMaxVector);
  auto tcb = readFile(testdata / "evidence/tdx/tcbInfo.json", kMaxVector);
  auto qe = readFile(testdata / "evidence/tdx/enclaveIdentity.json", kMaxVector);
  if (!quote || !tcb || !qe) {
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
  return rows;
}

}  // namespace cocoon::bench
