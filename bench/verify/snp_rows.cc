// SPDX-License-Identifier: Apache-2.0
// snp rows: the whole `snp` verifier on trustee's test-report.bin, with the VCEK in the
// evidence and with the VCEK from a warm offline cache.
#include <memory>

#include "bench.h"
#include "common/encoding.h"
#include "common/files.h"
#include "verify/builtin.h"

namespace cocoon::bench {
namespace {

constexpr std::size_t kMaxVector = 1 << 20;

// A registry holding the built-in verifiers with `config`, kept alive by the row closures.
std::shared_ptr<verify::VerifierRegistry> registryWith(
    const verify::BuiltinVerifierConfig& config) {
  auto registry = std::make_shared<verify::VerifierRegistry>();
  if (!verify::registerBuiltinVerifiers(*registry, config)) {
    return nullptr;
  }
  return registry;
}

Row verifyRow(std::string name, std::shared_ptr<verify::VerifierRegistry> registry,
              json::Json evidence, verify::Expectations expected) {
  auto ev = std::make_shared<json::Json>(std::move(evidence));
  auto ex = std::make_shared<verify::Expectations>(std::move(expected));
  return Row{std::move(name),
             [registry, ev, ex] {
               const verify::Verifier* v = registry->find(kbs_protocol::Tee::kSnp);
               return v != nullptr && v->verify(*ev, *ex).has_value();
             },
             false};
}

}  // namespace

std::vector<Row> snpRows(const std::filesystem::path& testdata,
                         const std::filesystem::path& scratch) {
  auto report = readFile(testdata / "evidence/snp/test-report.bin", kMaxVector);
  auto vcek = readFile(testdata / "evidence/snp/test-vcek.der", kMaxVector);
  if (!report || !vcek) {
    return {};
  }
  verify::Expectations expected;
  expected.report_data.assign(report->begin() + 0x50, report->begin() + 0x90);
  expected.now = std::chrono::sys_days{std::chrono::year{2025} / 6 / 1};

  json::Json with_vcek = {{"attestation_report", base64Encode(*report)}};
  with_vcek["cert_chain"] = json::Json::array({{{"cert_type", "VCEK"}, {"data", *vcek}}});
  std::vector<Row> rows;
  rows.push_back(
      verifyRow("snp verify (VCEK in the evidence)", registryWith({}), with_vcek, expected));

  const std::filesystem::path chip =
      scratch / "vcek" / hexEncode(ByteSpan(*report).subspan(0x1A0, 64));
  if (createDirectories(chip) && writeFileAtomic(chip / "vcek.der", *vcek)) {
    verify::BuiltinVerifierConfig config;
    config.snp.cache_dir = scratch;
    rows.push_back(verifyRow("snp verify (VCEK from a warm cache)", registryWith(config),
                             json::Json{{"attestation_report", base64Encode(*report)}}, expected));
  }
  return rows;
}

}  // namespace cocoon::bench
