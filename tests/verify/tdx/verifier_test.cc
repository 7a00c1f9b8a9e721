// SPDX-License-Identifier: Apache-2.0
#include "verify/tdx/verifier.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "http/client.h"
#include "verify/tdx/builders.h"
#include "verify/tdx/ccel.h"
#include "verify/tdx/claims.h"
#include "verify/tdx/pck.h"
#include "verify/tdx/roots.h"
#include "verify/tdx/testdata.h"

namespace cocoon::verify::tdx {
namespace {

using cocoon::test::CertBuilder;
using cocoon::test::kDay;
using cocoon::test::kTestNow;

TimePoint at(std::string_view text) {
  return *parseUtcTime(text);
}

json::Json evidenceJson(ByteSpan quote, std::optional<ByteSpan> log = std::nullopt) {
  json::Json j = {{"quote", base64Encode(quote)}};
  if (log) {
    j["cc_eventlog"] = base64Encode(*log);
  }
  return j;
}

Expectations expectFor(ByteSpan quote_bytes, TimePoint now) {
  auto q = parseTdxQuote(quote_bytes);
  EXPECT_TRUE(q);
  Expectations e;
  e.report_data.assign(q->body.report_data.begin(), q->body.report_data.end());
  e.now = now;
  return e;
}

void expectFailure(const Result<VerifiedEvidence, VerifyFailure>& r, VerifyReason reason,
                   std::string_view part) {
  ASSERT_FALSE(r) << "expected " << verifyReasonName(reason) << ", got success";
  EXPECT_EQ(r.error().reason, reason) << r.error().message;
  EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
}

#define LOAD_OR_SKIP(var, path)                                          \
  auto var = test::evidenceFile(path);                                   \
  if (!var) {                                                            \
    GTEST_SKIP() << "shared/testdata/evidence/" << path << " not found"; \
  }

// ---- Real vectors (shared/testdata/evidence/README.md, trustee 78962cd4) ----

TEST(TdxVerifier, PinnedRootIsTheRootOfEveryRealQuote) {
  EXPECT_EQ(hexEncode(crypto::sha256(intelSgxRootCa().der())), kIntelSgxRootCaSha256);
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_4.dat");
  auto q = parseTdxQuote(*bytes);
  auto chain = crypto::Certificate::parsePemBundle(q->pck_chain_pem);
  ASSERT_TRUE(chain) << chain.error().toString();
  EXPECT_EQ(chain->back().der(), intelSgxRootCa().der());
}

// trustee deps/verifier/src/tdx/claims.rs test_generate_parsed_claim: tdx_quote_4.dat with
// CCEL_data gives parse_tdx_claims_expected.json; every value must be present and equal.
TEST(TdxVerifier, ClaimsEqualTrusteeExpectedClaims) {
  LOAD_OR_SKIP(quote_bytes, "tdx/tdx_quote_4.dat");
  LOAD_OR_SKIP(ccel_bytes, "tdx/CCEL_data");
  LOAD_OR_SKIP(expected_text, "tdx/parse_tdx_claims_expected.json");
  auto expected = json::parseJson(toString(*expected_text));
  ASSERT_TRUE(expected);
  auto q = parseTdxQuote(*quote_bytes);
  ASSERT_TRUE(q);
  json::Json claims = quoteClaims(*q);
  auto chain = crypto::Certificate::parsePemBundle(q->pck_chain_pem);
  auto pck = parsePckExtensions(**chain->front().extensionValue(kSgxExtensionOid));
  ASSERT_TRUE(pck) << pck.error().toString();
  ASSERT_TRUE(pck->platform_instance_id);
  auto log = parseCcel(*ccel_bytes);
  ASSERT_TRUE(log) << log.error().toString();

  EXPECT_EQ(claims["report_data"], expected->at("report_data"));
  EXPECT_EQ(claims["init_data"], expected->at("init_data"));
  // Trustee prints the ID reversed (a little-endian GUID shown big-endian), as the
  // verifier's tdx.platform_instance_id claim does.
  std::array<std::uint8_t, 16> id = *pck->platform_instance_id;
  std::reverse(id.begin(), id.end());
  EXPECT_EQ(hexEncode(id), expected->at("platform_instance_id"));
  for (const char* part : {"header", "body"}) {
    for (const auto& [key, value] : expected->at("quote").at(part).items()) {
      EXPECT_EQ(claims[fmt::format("tdx.quote.{}.{}", part, key)], value) << part << "." << key;
    }
  }
  for (const auto& [key, value] : expected->at("td_attributes").items()) {
    EXPECT_EQ(claims["tdx.td_attributes." + key], value) << key;
  }
  EXPECT_EQ(ccelEventsJson(*log), expected->at("uefi_event_logs"));
}

TEST(TdxVerifier, AcceptsRealQuotesWithoutCollateralAsUnknownTcb) {
  TdxTrustConfig trust;
  trust.allow_debug = true;  // tdx_quote_4.dat is a debug TD
  const TdxVerifier verifier(trust);
  for (const char* path : {"tdx/tdx_quote_4.dat", "tdx/tdx_quote_5.dat", "tdx/tdx_quote_6.dat",
                           "az-tdx-vtpm/td-quote.bin"}) {
    LOAD_OR_SKIP(bytes, path);
    auto r = verifier.verify(evidenceJson(*bytes), expectFor(*bytes, at("2026-11-28T14:00:00Z")));
    ASSERT_TRUE(r) << path << ": " << r.error().message;
    EXPECT_EQ(r->claims["tdx.tcb_status"], "Unknown") << path;
    EXPECT_EQ(r->tee, kbs_protocol::Tee::kTdx);
  }
}

TEST(TdxVerifier, RealQuoteClaimsFmspcAndV5Fields) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_5.dat");
  auto r =
      TdxVerifier({}).verify(evidenceJson(*bytes), expectFor(*bytes, at("2026-01-01T00:00:00Z")));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["tdx.fmspc"], "90c06f000000");
  EXPECT_EQ(r->claims["tdx.quote.type"], "0300");
  EXPECT_EQ(r->claims["tdx.quote.body.mr_td"],
            "dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba"
            "422f3886400a");
}

TEST(TdxVerifier, RefusesRealDebugTdByDefault) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_4.dat");
  auto r =
      TdxVerifier({}).verify(evidenceJson(*bytes), expectFor(*bytes, at("2026-01-01T00:00:00Z")));
  expectFailure(r, VerifyReason::kUnsupportedEvidence, "DEBUG bit");
}

TEST(TdxVerifier, RealQuoteBitFlipsFailTheirSignature) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  const TdxVerifier verifier({});
  const Expectations e = expectFor(*bytes, at("2026-01-01T00:00:00Z"));
  Bytes header = *bytes;
  header[20] ^= 1;  // QE vendor ID... in the signed header, then user_data below
  header[30] ^= 1;
  Bytes body = *bytes;
  body[kHeaderSize + 200] ^= 0x80;  // mr_td
  for (const Bytes& q : {header, body}) {
    auto r = verifier.verify(evidenceJson(q), e);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().reason == VerifyReason::kBadSignature ||
                r.error().reason == VerifyReason::kUnsupportedEvidence)
        << r.error().message;
  }
  auto r = verifier.verify(evidenceJson(body), e);
  expectFailure(r, VerifyReason::kBadSignature, "quote signature");
}

// ---- Real collateral: tcbInfo.json / enclaveIdentity.json (FMSPC 00A06D080000) with
// tdx_quote_6.dat, valid 2025-10-28T06:45:09Z .. 2025-11-26T13:07:17Z ----

struct CollateralDir {
  TempDir dir;
};

std::optional<CollateralDir> realCollateral() {
  auto tcb = test::evidenceFile("tdx/tcbInfo.json");
  auto qe = test::evidenceFile("tdx/enclaveIdentity.json");
  if (!tcb || !qe) {
    return std::nullopt;
  }
  auto dir = TempDir::create("tdx-collateral");
  EXPECT_TRUE(dir);
  EXPECT_TRUE(writeFileAtomic(dir->path() / "00a06d080000.tcbinfo.json", *tcb));
  EXPECT_TRUE(writeFileAtomic(dir->path() / "enclaveIdentity.json", *qe));
  return CollateralDir{std::move(*dir)};
}

TEST(TdxVerifier, EvaluatesRealCollateralToTcbStatus) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  auto dir = realCollateral();
  if (!dir) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  TdxTrustConfig trust;
  trust.collateral_dir = dir->dir.path();
  trust.require_collateral = true;
  auto r = TdxVerifier(trust).verify(evidenceJson(*bytes),
                                     expectFor(*bytes, at("2025-11-01T00:00:00Z")));
  ASSERT_TRUE(r) << r.error().message;
  // The PCK certificate has PCESVN 11; the UpToDate level wants 13, the next (OutOfDate)
  // level 5, with SGX components 2,2,7,7,4,1,0,2 >= 2,2,2,2,4,1,0,2 and tee_tcb_svn
  // 05030200... >= 5,0,2 (bytes 0-1 are judged by TDX_03, UpToDate at isvsvn 3).
  EXPECT_EQ(r->claims["tdx.tcb_status"], "OutOfDate");
  EXPECT_EQ(r->claims["tdx.collateral.tcb_evaluation_data_number"], 17);
  EXPECT_EQ(r->claims["tdx.collateral.next_update"], "2025-11-26T13:07:17Z");
}

TEST(TdxVerifier, RefusesExpiredCollateralUnlessVerifiedAtItsTime) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  auto dir = realCollateral();
  if (!dir) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  TdxTrustConfig trust;
  trust.collateral_dir = dir->dir.path();
  auto r = TdxVerifier(trust).verify(evidenceJson(*bytes),
                                     expectFor(*bytes, at("2026-11-28T14:00:00Z")));
  expectFailure(r, VerifyReason::kCertificateInvalid,
                "TCB info is valid 2025-10-27T13:07:17Z .. 2025-11-26T13:07:17Z");
}

TEST(TdxVerifier, RefusesTamperedCollateralAndOtherPlatforms) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  LOAD_OR_SKIP(other, "tdx/tdx_quote_5.dat");
  auto dir = realCollateral();
  if (!dir) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  TdxTrustConfig trust;
  trust.collateral_dir = dir->dir.path();
  // tcbInfo.json is also found for another FMSPC through its generic name.
  ASSERT_TRUE(
      writeFileAtomic(dir->dir.path() / "tcbInfo.json", *test::evidenceFile("tdx/tcbInfo.json")));
  auto r = TdxVerifier(trust).verify(evidenceJson(*other),
                                     expectFor(*other, at("2025-11-01T00:00:00Z")));
  expectFailure(r, VerifyReason::kCertificateInvalid, "TCB info is for FMSPC 00a06d080000");

  std::string text = toString(*test::evidenceFile("tdx/tcbInfo.json"));
  text.replace(text.find("\"tcbEvaluationDataNumber\":17"), 28, "\"tcbEvaluationDataNumber\":18");
  ASSERT_TRUE(writeFileAtomic(dir->dir.path() / "00a06d080000.tcbinfo.json", asBytes(text)));
  r = TdxVerifier(trust).verify(evidenceJson(*bytes),
                                expectFor(*bytes, at("2025-11-01T00:00:00Z")));
  expectFailure(r, VerifyReason::kCertificateInvalid, "TCB info signature does not verify");
}

// A PCS that serves the real collateral (and 404 for CRLs), counting requests.
class FakePcs final : public http::HttpClient {
 public:
  Result<http::Response> send(const http::Request& request, std::size_t) override {
    urls.push_back(request.url);
    http::Response r;
    r.status = status;
    if (request.url.ends_with("/tdx/certification/v4/tcb?fmspc=00A06D080000")) {
      r.body = *test::evidenceFile("tdx/tcbInfo.json");
    } else if (request.url.ends_with("/tdx/certification/v4/qe/identity")) {
      r.body = *test::evidenceFile("tdx/enclaveIdentity.json");
    } else if (status == 200) {
      r.status = 404;
    }
    return r;
  }
  Result<http::Response> stream(const http::Request&, const http::HeadCallback&,
                                const http::ChunkCallback&) override {
    return fail(Code::kUnimplemented, "not used");
  }
  int status = 200;
  std::vector<std::string> urls;
};

TEST(TdxVerifier, FetchesCollateralFromPcsOnceAndCachesItOnDisk) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  if (!realCollateral()) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  auto dir = TempDir::create("tdx-pcs");
  ASSERT_TRUE(dir);
  FakePcs pcs;
  TdxTrustConfig trust;
  trust.pcs_client = &pcs;
  trust.pcs_url = "https://pccs.test:8081/";
  trust.collateral_dir = dir->path();
  const TdxVerifier verifier(trust);
  const Expectations e = expectFor(*bytes, at("2025-11-01T00:00:00Z"));
  for (int i = 0; i < 2; ++i) {
    auto r = verifier.verify(evidenceJson(*bytes), e);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->claims["tdx.tcb_status"], "OutOfDate");
  }
  EXPECT_EQ(pcs.urls.size(), 4u);  // TCB info, QE identity, two CRLs: once
  EXPECT_EQ(pcs.urls[0], "https://pccs.test:8081/tdx/certification/v4/tcb?fmspc=00A06D080000");
  // The directory now serves offline runs.
  trust.pcs_client = nullptr;
  auto offline = TdxVerifier(trust).verify(evidenceJson(*bytes), e);
  ASSERT_TRUE(offline) << offline.error().message;
  EXPECT_EQ(offline->claims["tdx.tcb_status"], "OutOfDate");
}

TEST(TdxVerifier, PcsErrorIsReported) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  FakePcs pcs;
  pcs.status = 503;
  TdxTrustConfig trust;
  trust.pcs_client = &pcs;
  auto r = TdxVerifier(trust).verify(evidenceJson(*bytes),
                                     expectFor(*bytes, at("2025-11-01T00:00:00Z")));
  expectFailure(r, VerifyReason::kCertificateInvalid, "HTTP status 503");
}

// ---- Built quotes: every tampering fails with its own reason ----

class TdxBuilt : public ::testing::Test {
 protected:
  TdxVerifier verifier() const {
    TdxTrustConfig trust;
    trust.root_cas.push_back(builder_.root().cert);
    return TdxVerifier(trust);
  }
  Expectations expect() const {
    Expectations e;
    e.report_data = report_data_;
    e.now = kTestNow;
    return e;
  }
  Result<VerifiedEvidence, VerifyFailure> verifyBytes(const Bytes& quote) const {
    return verifier().verify(evidenceJson(quote), expect());
  }
  Bytes flip(std::size_t offset) const {
    Bytes q = good_;
    q[offset] ^= 0x01;
    return q;
  }

  const Bytes report_data_ = Bytes(48, 0x42);
  test::QuoteBuilder builder_;
  Bytes good_ = builder_.reportData(report_data_).build();
};

TEST_F(TdxBuilt, AcceptsGenuineQuote) {
  auto r = verifyBytes(good_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["report_data"], hexEncode(report_data_) + std::string(32, '0'));
  EXPECT_EQ(r->claims["tdx.platform_instance_id"], hexEncode(Bytes(16, 0x5a)));
  EXPECT_EQ(r->claims["tdx.td_attributes.debug"], false);
}

// One bit flipped in each signed or binding part of the quote.
TEST_F(TdxBuilt, EachBitFlipFailsWithItsOwnCheck) {
  using B = test::QuoteBuilder;
  const struct {
    const char* part;
    std::size_t offset;
    VerifyReason reason;
    const char* message;
  } kCases[] = {
      {"header user_data", 40, VerifyReason::kBadSignature, "quote signature"},
      {"body", B::kBodyOffset + 100, VerifyReason::kBadSignature, "quote signature"},
      {"quote signature", B::kSignatureOffset + 5, VerifyReason::kBadSignature, "quote signature"},
      {"QE report", B::kQeReportOffset + 10, VerifyReason::kBadSignature, "QE report signature"},
      {"QE report signature", B::kQeSignatureOffset + 3, VerifyReason::kBadSignature,
       "QE report signature"},
      {"QE auth data", B::kAuthDataOffset, VerifyReason::kUntrustedKey,
       "SHA-256(attestation key || QE auth data)"},
      {"attestation key", B::kSignatureOffset + 64 + 7, VerifyReason::kUntrustedKey,
       "SHA-256(attestation key || QE auth data)"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.part);
    expectFailure(verifyBytes(flip(c.offset)), c.reason, c.message);
  }
}

TEST_F(TdxBuilt, LeafFromAnotherChainIsUntrusted) {
  test::QuoteBuilder other;
  const Bytes q =
      test::QuoteBuilder(builder_).pckLeaf(other.pck()).reportData(report_data_).build();
  expectFailure(verifyBytes(q), VerifyReason::kUntrustedKey, "PCK certificate chain");
}

TEST_F(TdxBuilt, ChainToAnotherRootIsUntrusted) {
  TdxTrustConfig trust;  // the pinned Intel root only
  auto r = TdxVerifier(trust).verify(evidenceJson(good_), expect());
  expectFailure(r, VerifyReason::kUntrustedKey, "PCK certificate chain");
}

TEST_F(TdxBuilt, ExpiredPckCertificateIsInvalid) {
  Expectations e = expect();
  e.now = kTestNow + 400 * kDay;
  auto r = verifier().verify(evidenceJson(good_), e);
  expectFailure(r, VerifyReason::kCertificateInvalid, "expired");
}

TEST_F(TdxBuilt, RevokedPckCertificateIsInvalid) {
  auto dir = TempDir::create("tdx-crl");
  ASSERT_TRUE(dir);
  const crypto::Crl crl =
      cocoon::test::CrlBuilder().issuer(builder_.ca()).revoke(builder_.pck().cert).build();
  ASSERT_TRUE(writeFileAtomic(dir->path() / "pckcrl.crl", crl.der()));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "tcbInfo.json", asBytes("{}")));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "qeIdentity.json", asBytes("{}")));
  TdxTrustConfig trust;
  trust.root_cas.push_back(builder_.root().cert);
  trust.collateral_dir = dir->path();
  auto r = TdxVerifier(trust).verify(evidenceJson(good_), expect());
  expectFailure(r, VerifyReason::kCertificateInvalid, "is revoked");
}

// Intel's Root CA CRL (IntelSGXRootCA.der, a DER CRL despite its name) saved as *.crl
// revokes a PCK Platform CA: every quote under that CA is refused.
TEST_F(TdxBuilt, PlatformCaRevokedByTheRootCrlIsInvalid) {
  auto dir = TempDir::create("tdx-root-crl");
  ASSERT_TRUE(dir);
  const crypto::Crl crl =
      cocoon::test::CrlBuilder().issuer(builder_.root()).revoke(builder_.ca().cert).build();
  ASSERT_TRUE(writeFileAtomic(dir->path() / "IntelSGXRootCA.crl", crl.der()));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "tcbInfo.json", asBytes("{}")));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "qeIdentity.json", asBytes("{}")));
  TdxTrustConfig trust;
  trust.root_cas.push_back(builder_.root().cert);
  trust.collateral_dir = dir->path();
  auto r = TdxVerifier(trust).verify(evidenceJson(good_), expect());
  expectFailure(r, VerifyReason::kCertificateInvalid, "is revoked");
}

TEST_F(TdxBuilt, WrongReportDataIsRefused) {
  Expectations e = expect();
  e.report_data = Bytes(48, 0x43);
  auto r = verifier().verify(evidenceJson(good_), e);
  expectFailure(r, VerifyReason::kReportDataMismatch, "report_data is 4242");
}

TEST_F(TdxBuilt, DebugTdIsRefusedUnlessAllowed) {
  const Bytes q = test::QuoteBuilder(builder_).tdAttributes(1).build();
  expectFailure(verifyBytes(q), VerifyReason::kUnsupportedEvidence, "DEBUG bit");
  TdxTrustConfig trust;
  trust.root_cas.push_back(builder_.root().cert);
  trust.allow_debug = true;
  auto r = TdxVerifier(trust).verify(evidenceJson(q), expect());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["tdx.td_attributes.debug"], true);
}

TEST_F(TdxBuilt, InitDataBindsMrConfigIdPaddedTo48Bytes) {
  const Bytes digest(32, 0x77);
  const Bytes q = test::QuoteBuilder(builder_).mrConfigId(digest).build();
  Expectations e = expect();
  e.init_data_digest = digest;
  auto r = verifier().verify(evidenceJson(q), e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["init_data"], hexEncode(digest) + std::string(32, '0'));
  e.init_data_digest = Bytes(32, 0x78);
  expectFailure(verifier().verify(evidenceJson(q), e), VerifyReason::kInitDataMismatch,
                "mr_config_id is 7777");
}

TEST_F(TdxBuilt, EventLogReplaysIntoRtmrsOrNamesTheRegister) {
  const Bytes kernel = toBytes("vmlinuz");
  const Bytes log = test::CcelBuilder().event(2, 0x80000003, kernel).build(1024);
  const Bytes rtmr1 = test::extend384(Bytes(48, 0), crypto::sha384(kernel));
  const Bytes q = test::QuoteBuilder(builder_).rtmr(1, rtmr1).build();
  auto r = verifier().verify(evidenceJson(q, ByteSpan(log)), expect());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["tdx.uefi_event_logs"].size(), 1u);
  expectFailure(verifier().verify(evidenceJson(good_, ByteSpan(log)), expect()),
                VerifyReason::kEventLogMismatch,
                "RTMR1: replaying the event log gives " + hexEncode(rtmr1));
}

TEST_F(TdxBuilt, MalformedEvidenceJsonIsRefused) {
  expectFailure(verifier().verify(json::Json{{"quote", "!!"}}, expect()),
                VerifyReason::kMalformedEvidence, "quote");
  expectFailure(verifier().verify(json::Json::object(), expect()), VerifyReason::kMalformedEvidence,
                "quote");
  Bytes v3 = good_;
  v3[0] = 3;
  expectFailure(verifyBytes(v3), VerifyReason::kUnsupportedEvidence, "quote version is 3");
}

// guest-components' TdxEvidence serializes cc_eventlog: None as null.
TEST_F(TdxBuilt, NullEventLogIsNoEventLog) {
  json::Json evidence = evidenceJson(good_);
  evidence["cc_eventlog"] = nullptr;
  auto r = verifier().verify(evidence, expect());
  ASSERT_TRUE(r) << r.error().message;
  evidence["cc_eventlog"] = 5;
  expectFailure(verifier().verify(evidence, expect()), VerifyReason::kMalformedEvidence,
                "cc_eventlog");
}

// ---- What one verifier remembers between quotes (see verifier.h) ----

TEST_F(TdxBuilt, CachedChainIsJudgedAgainEachTimeAtTheVerificationTime) {
  const TdxVerifier v = verifier();
  ASSERT_TRUE(v.verify(evidenceJson(good_), expect()));
  Expectations later = expect();
  later.now = kTestNow + 400 * kDay;
  expectFailure(v.verify(evidenceJson(good_), later), VerifyReason::kCertificateInvalid, "expired");
  Expectations early = expect();
  early.now = kTestNow - 400 * kDay;
  expectFailure(v.verify(evidenceJson(good_), early), VerifyReason::kCertificateInvalid,
                "not yet valid");
  EXPECT_TRUE(v.verify(evidenceJson(good_), expect()));
}

TEST_F(TdxBuilt, CrlPublishedAfterCachingRevokesTheCachedChain) {
  auto dir = TempDir::create("tdx-crl-late");
  ASSERT_TRUE(dir);
  TdxTrustConfig trust;
  trust.root_cas.push_back(builder_.root().cert);
  trust.collateral_dir = dir->path();
  const TdxVerifier v(trust);
  auto r = v.verify(evidenceJson(good_), expect());  // no collateral yet
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["tdx.tcb_status"], "Unknown");
  const crypto::Crl crl =
      cocoon::test::CrlBuilder().issuer(builder_.ca()).revoke(builder_.pck().cert).build();
  ASSERT_TRUE(writeFileAtomic(dir->path() / "pckcrl.crl", crl.der()));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "tcbInfo.json", asBytes("{}")));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "qeIdentity.json", asBytes("{}")));
  for (int i = 0; i < 2; ++i) {  // the second time from the cached CRL set
    expectFailure(v.verify(evidenceJson(good_), expect()), VerifyReason::kCertificateInvalid,
                  "is revoked");
  }
}

TEST_F(TdxBuilt, CachedQeBindingStillChecksEachQuoteSignature) {
  using B = test::QuoteBuilder;
  const TdxVerifier v = verifier();
  ASSERT_TRUE(v.verify(evidenceJson(good_), expect()));
  for (std::size_t offset : {B::kBodyOffset + 100, B::kSignatureOffset + 5}) {
    expectFailure(v.verify(evidenceJson(flip(offset)), expect()), VerifyReason::kBadSignature,
                  "quote signature");
  }
  expectFailure(v.verify(evidenceJson(flip(B::kQeSignatureOffset + 3)), expect()),
                VerifyReason::kBadSignature, "QE report signature");
  // Another quote of the same platform (same PCK chain and QE report) verifies.
  const Bytes other = test::QuoteBuilder(builder_).reportData(Bytes(48, 0x17)).build();
  Expectations e = expect();
  e.report_data = Bytes(48, 0x17);
  EXPECT_TRUE(v.verify(evidenceJson(other), e));
}

TEST(TdxVerifier, CachedCollateralIsReReadAndItsDatesReChecked) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_6.dat");
  auto dir = realCollateral();
  if (!dir) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  TdxTrustConfig trust;
  trust.collateral_dir = dir->dir.path();
  const TdxVerifier v(trust);
  const Expectations inside = expectFor(*bytes, at("2025-11-01T00:00:00Z"));
  auto r = v.verify(evidenceJson(*bytes), inside);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["tdx.tcb_status"], "OutOfDate");
  expectFailure(v.verify(evidenceJson(*bytes), expectFor(*bytes, at("2025-11-27T00:00:00Z"))),
                VerifyReason::kCertificateInvalid, "TCB info is valid");
  std::string text = toString(*test::evidenceFile("tdx/tcbInfo.json"));
  text.replace(text.find("\"tcbEvaluationDataNumber\":17"), 28, "\"tcbEvaluationDataNumber\":18");
  ASSERT_TRUE(writeFileAtomic(dir->dir.path() / "00a06d080000.tcbinfo.json", asBytes(text)));
  expectFailure(v.verify(evidenceJson(*bytes), inside), VerifyReason::kCertificateInvalid,
                "TCB info signature does not verify");
}

}  // namespace
}  // namespace cocoon::verify::tdx
