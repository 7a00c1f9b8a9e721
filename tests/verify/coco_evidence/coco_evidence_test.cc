// SPDX-License-Identifier: Apache-2.0
// Evidence JSON in the shape an unmodified CoCo guest sends for snp and tdx (guest-components
// attestation-agent attesters), made from real hardware reports, goes through a real
// KbsService on loopback: RCAR auth + attest by cocoon's KBS client, the EAR token, then a
// resource released and decrypted with the guest's key.
//
// A captured report cannot answer a fresh KBS nonce: its report_data is whatever the guest
// bound when it was captured, and its certificates were valid when it was captured, not
// today. The only seam is therefore a Verifier decorator registered in the KBS's registry
// that sets Expectations::now to the capture time (the verifier's clock; sessions, tokens
// and the client keep the real clock) and, optionally, replaces Expectations::report_data
// (the KBS's nonce/tee-pubkey digest) with the captured value before calling the real
// built-in verifier. JSON parsing, every signature, chain and TCB check, the claims, the
// default attestation and resource policies and the token are the KBS's own. The same
// evidence without the report_data override is refused for its report_data, which shows
// the KBS does bind the nonce.
#include <gtest/gtest.h>

#include "attest/kbs_client/kbs_client.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/key.h"
#include "http/curl_client.h"
#include "http/server/metrics.h"
#include "http/server/router.h"
#include "http/server/server.h"
#include "kbs/admin_auth.h"
#include "kbs/config.h"
#include "kbs/memory_sessions.h"
#include "kbs/service.h"
#include "kbs/store/store.h"
#include "kbs/token/ear.h"
#include "verify/builtin.h"
#include "verify/snp/evidence.h"
#include "verify/snp/report.h"

namespace cocoon::kbs {
namespace {

using std::chrono::sys_days;
using TimePoint = std::chrono::system_clock::time_point;

std::optional<Bytes> vector(const std::string& relative) {
  auto bytes =
      readFile(std::filesystem::path(COCOON_TESTDATA_DIR) / "evidence" / relative, 4 << 20);
  return bytes ? std::optional<Bytes>(std::move(*bytes)) : std::nullopt;
}

// The seam (see the file comment): the real verifier, judging the evidence at its capture
// time and, when `report_data` is set, against the captured report_data.
class CapturedEvidence final : public verify::Verifier {
 public:
  CapturedEvidence(const verify::Verifier& real, TimePoint captured_at,
                   std::optional<Bytes> report_data)
      : real_(real), captured_at_(captured_at), report_data_(std::move(report_data)) {}
  kbs_protocol::Tee tee() const override { return real_.tee(); }
  Result<verify::VerifiedEvidence, verify::VerifyFailure> verify(
      const json::Json& evidence, const verify::Expectations& expected) const override {
    verify::Expectations captured = expected;
    captured.now = captured_at_;
    if (report_data_) {
      captured.report_data = *report_data_;
    }
    return real_.verify(evidence, captured);
  }

 private:
  const verify::Verifier& real_;
  TimePoint captured_at_;
  std::optional<Bytes> report_data_;
};

// A guest whose attester answers with captured evidence whatever report_data it is asked
// to bind, as a replaying guest would.
class ReplayAttester final : public attest::Attester {
 public:
  ReplayAttester(kbs_protocol::Tee tee, json::Json evidence)
      : tee_(tee), evidence_(std::move(evidence)) {}
  kbs_protocol::Tee tee() const override { return tee_; }
  Result<json::Json> evidence(ByteSpan) override { return evidence_; }

 private:
  kbs_protocol::Tee tee_;
  json::Json evidence_;
};

// A KbsService on loopback over a SQLite store in a temp dir, with the built-in verifier
// for `tee` behind the seam: it judges evidence at `captured_at` (when the captured
// certificates were valid) and, when `captured` is set, against that report_data. Sessions,
// tokens and the client run on the real clock.
class CocoKbs {
 public:
  CocoKbs(kbs_protocol::Tee tee, std::optional<Bytes> captured, TimePoint captured_at) {
    auto dir = TempDir::create("coco-evidence");
    EXPECT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto store = store::openStore((dir_->path() / "kbs.db").string());
    EXPECT_TRUE(store) << store.error().toString();
    store_ = withMemorySessions(std::move(*store), nullptr);
    EXPECT_TRUE(store_->putResource("default/key/coco", asBytes("released to a CoCo guest")));

    verify::BuiltinVerifierConfig config;
    config.tdx.allow_debug = true;  // tdx_quote_4.dat is from a debug TD
    EXPECT_TRUE(verify::registerBuiltinVerifiers(real_, config));
    EXPECT_TRUE(kbs_verifiers_.add(
        std::make_unique<CapturedEvidence>(*real_.find(tee), captured_at, std::move(captured))));

    auto admin = AdminAuthenticator::create(*crypto::Key::generate(crypto::KeyType::kEd25519));
    auto signer = token::EarSigner::create(*crypto::Key::generate(crypto::KeyType::kEcP256));
    EXPECT_TRUE(admin && signer);
    service_ = std::make_unique<KbsService>(*store_, kbs_verifiers_, std::move(*admin),
                                            std::move(*signer), metrics_, KbsServiceOptions{});
    http::server::Router router(kbsErrorResponse);
    EXPECT_TRUE(service_->addRoutes(router));
    // The body cap cocoon-kbs runs with: a TDX guest's evidence carries its CCEL.
    http::server::ServerOptions server_options;
    server_options.max_body_bytes = KbsLimits{}.max_body_bytes;
    server_ = std::make_unique<http::server::Server>(server_options, std::move(router), metrics_);
    EXPECT_TRUE(server_->start());
    auto http = http::makeCurlHttpClient({});
    EXPECT_TRUE(http);
    http_ = std::move(*http);
  }
  ~CocoKbs() { server_->stop(); }

  attest::KbsClient client() {
    attest::KbsClientOptions options;
    options.retry.max_attempts = 1;
    return attest::KbsClient("http://127.0.0.1:" + std::to_string(server_->boundPort()),
                             *crypto::Key::generate(crypto::KeyType::kEcP256), *http_, options);
  }

 private:
  std::optional<TempDir> dir_;
  std::unique_ptr<store::KbsStore> store_;
  verify::VerifierRegistry real_;
  verify::VerifierRegistry kbs_verifiers_;
  http::server::MetricsRegistry metrics_;
  std::unique_ptr<KbsService> service_;
  std::unique_ptr<http::server::Server> server_;
  std::unique_ptr<http::HttpClient> http_;
};

// guest-components attester/src/tdx: TdxEvidence {cc_eventlog: Option<String> (base64 of
// the ACPI CCEL table), quote: String (base64), aa_eventlog: Option<String>}; serde writes
// None as null.
json::Json tdxGuestEvidence(const Bytes& quote, const std::optional<Bytes>& ccel) {
  return {{"cc_eventlog", ccel ? json::Json(base64Encode(*ccel)) : json::Json(nullptr)},
          {"quote", base64Encode(quote)},
          {"aa_eventlog", nullptr}};
}

// guest-components attester/src/snp: SnpEvidence {attestation_report: the `sev` crate's
// AttestationReport (serde), cert_chain: Option<Vec<CertTableEntry>>} where an entry is
// {cert_type: "VCEK"|..., data: [bytes]}.
json::Json snpGuestEvidence(const Bytes& report, const Bytes& vcek) {
  auto parsed = verify::snp::parseSnpReport(report);
  EXPECT_TRUE(parsed);
  return {{"attestation_report", verify::snp::snpReportToJson(*parsed)},
          {"cert_chain", json::Json::array({{{"cert_type", "VCEK"}, {"data", vcek}}})}};
}

struct Case {
  const char* name;
  kbs_protocol::Tee tee;
  json::Json evidence;
  Bytes report_data;
  TimePoint captured_at;
};

// tdx_quote_4.dat (trustee deps/verifier/test_data, see the testdata README; PCK chain
// valid at 2025-06-01) without a CCEL: the README notes that CCEL_data comes from another TD
// (its RTMR0 replay is 2dc7..., the quote's e940...), so the guest sends cc_eventlog null as
// the attester does where no CCEL table exists; test-report.bin + test-vcek.der (trustee
// test_data/snp; VCEK valid at 2025-06-01).
std::vector<Case> cases() {
  std::vector<Case> out;
  const TimePoint now = sys_days{std::chrono::year{2025} / 6 / 1};
  auto quote = vector("tdx/tdx_quote_4.dat");
  if (quote) {
    // TD report body report_data: quote header (48) + body offset 520.
    out.push_back({"tdx", kbs_protocol::Tee::kTdx, tdxGuestEvidence(*quote, std::nullopt),
                   Bytes(quote->begin() + 568, quote->begin() + 632), now});
  }
  auto report = vector("snp/test-report.bin");
  auto vcek = vector("snp/test-vcek.der");
  if (report && vcek) {
    out.push_back({"snp", kbs_protocol::Tee::kSnp, snpGuestEvidence(*report, *vcek),
                   Bytes(report->begin() + 0x50, report->begin() + 0x90), now});
  }
  return out;
}

TEST(CocoEvidence, GuestEvidenceAttestsToTheKbsAndGetsAResource) {
  const auto all = cases();
  if (all.size() != 2) {
    GTEST_SKIP() << "shared/testdata/evidence vectors not found";
  }
  for (const Case& c : all) {
    SCOPED_TRACE(c.name);
    CocoKbs kbs(c.tee, c.report_data, c.captured_at);
    attest::KbsClient client = kbs.client();
    ReplayAttester guest(c.tee, c.evidence);
    auto token = client.attest(guest);
    ASSERT_TRUE(token) << token.error().toString();
    auto secret = client.getResource("default/key/coco");
    ASSERT_TRUE(secret) << secret.error().toString();
    EXPECT_EQ(toString(secret->span()), "released to a CoCo guest");
  }
}

TEST(CocoEvidence, CapturedEvidenceCannotAnswerAFreshNonce) {
  const auto all = cases();
  if (all.size() != 2) {
    GTEST_SKIP() << "shared/testdata/evidence vectors not found";
  }
  for (const Case& c : all) {
    SCOPED_TRACE(c.name);
    CocoKbs kbs(c.tee, std::nullopt, c.captured_at);  // the KBS's own report_data check
    attest::KbsClient client = kbs.client();
    ReplayAttester guest(c.tee, c.evidence);
    auto token = client.attest(guest);
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Code::kUnauthenticated);
    EXPECT_NE(token.error().message.find("report_data mismatch"), std::string::npos)
        << token.error().message;
  }
}

TEST(CocoEvidence, TamperedGuestEvidenceIsRefusedByTheKbs) {
  const auto all = cases();
  if (all.size() != 2) {
    GTEST_SKIP() << "shared/testdata/evidence vectors not found";
  }
  for (Case c : all) {
    SCOPED_TRACE(c.name);
    if (c.tee == kbs_protocol::Tee::kTdx) {
      Bytes quote = *base64Decode(c.evidence["quote"].get<std::string>());
      quote[48 + 100] ^= 1;  // a byte of MRTD in the signed body
      c.evidence["quote"] = base64Encode(quote);
    } else {
      auto& m = c.evidence["attestation_report"]["measurement"];
      m[0] = m[0].get<int>() ^ 1;
    }
    CocoKbs kbs(c.tee, c.report_data, c.captured_at);
    attest::KbsClient client = kbs.client();
    ReplayAttester guest(c.tee, c.evidence);
    auto token = client.attest(guest);
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Code::kUnauthenticated);
    EXPECT_NE(token.error().message.find("bad signature"), std::string::npos)
        << token.error().message;
  }
}

TEST(CocoEvidence, TdxEventLogOfAnotherTdIsRefusedByTheKbs) {
  auto quote = vector("tdx/tdx_quote_4.dat");
  auto ccel = vector("tdx/CCEL_data");  // another TD's log (testdata README)
  if (!quote || !ccel) {
    GTEST_SKIP() << "shared/testdata/evidence vectors not found";
  }
  CocoKbs kbs(kbs_protocol::Tee::kTdx, Bytes(quote->begin() + 568, quote->begin() + 632),
              sys_days{std::chrono::year{2025} / 6 / 1});
  attest::KbsClient client = kbs.client();
  ReplayAttester guest(kbs_protocol::Tee::kTdx, tdxGuestEvidence(*quote, *ccel));
  auto token = client.attest(guest);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, Code::kUnauthenticated);
  EXPECT_NE(token.error().message.find("event log mismatch: RTMR0"), std::string::npos)
      << token.error().message;
}

}  // namespace
}  // namespace cocoon::kbs
