// SPDX-License-Identifier: Apache-2.0
// VCEK/VLEK extensions, the offline cache layout and KDS lookups (through a fake client).
#include <atomic>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "support/test_ca.h"
#include "verify/snp/endorsement.h"
#include "verify/snp/vcek_source.h"
#include "verify/snp/vectors.h"
#include "verify/snp/verifier.h"

namespace cocoon::verify::snp {
namespace {

using cocoon::test::kTestNow;
using test::loadVector;
using test::rawEvidence;

std::optional<crypto::Certificate> certOf(std::string_view relative) {
  auto der = loadVector(relative);
  if (!der) {
    return std::nullopt;
  }
  auto cert = crypto::Certificate::fromDer(*der);
  EXPECT_TRUE(cert) << relative;
  return cert ? std::optional(*cert) : std::nullopt;
}

// trustee's check_vcek_parsing / _legacy / _new / check_vlek_parsing, with the values the
// README lists for each certificate.
TEST(SnpEndorsement, ReadsTcbAndHwidExtensions) {
  auto vcek = certOf("snp/test-vcek.der");
  auto legacy = certOf("snp/test-vcek-invalid-legacy.der");
  auto fresh = certOf("snp/test-vcek-invalid-new.der");
  auto vlek = certOf("snp/test-vlek.der");
  auto report = loadVector("snp/test-report.bin");
  if (!vcek || !legacy || !fresh || !vlek || !report) {
    GTEST_SKIP() << "shared/testdata/evidence/snp missing";
  }
  auto tcb = certificateTcb(*vcek, Product::kMilan);
  ASSERT_TRUE(tcb);
  EXPECT_EQ(*tcb, (TcbVersion{std::nullopt, 3, 0, 8, 115}));
  auto hwid = certificateHwid(*vcek);
  ASSERT_TRUE(hwid && *hwid);
  EXPECT_EQ(**hwid, Bytes(report->begin() + 0x1A0, report->begin() + 0x1E0));

  tcb = certificateTcb(*legacy, Product::kMilan);
  ASSERT_TRUE(tcb);
  EXPECT_EQ(*tcb, (TcbVersion{std::nullopt, 3, 0, 10, 169}));
  hwid = certificateHwid(*legacy);
  ASSERT_TRUE(hwid && *hwid);
  EXPECT_EQ(hexEncode(**hwid).substr(0, 8), "00010203");

  tcb = certificateTcb(*fresh, Product::kMilan);
  ASSERT_TRUE(tcb);
  EXPECT_EQ(*tcb, (TcbVersion{std::nullopt, 0, 0, 0, 30}));
  hwid = certificateHwid(*fresh);
  ASSERT_TRUE(hwid && *hwid);
  EXPECT_EQ((*hwid)->size(), 64u);

  tcb = certificateTcb(*vlek, Product::kMilan);
  ASSERT_TRUE(tcb);
  EXPECT_EQ(*tcb, (TcbVersion{std::nullopt, 4, 0, 24, 217}));
  hwid = certificateHwid(*vlek);
  ASSERT_TRUE(hwid);
  EXPECT_FALSE(*hwid);

  // Turin keys also carry fmc (.3.9); a Milan VCEK has none.
  auto turin = certificateTcb(*vcek, Product::kTurin);
  ASSERT_FALSE(turin);
  EXPECT_THAT(turin.error().message, ::testing::HasSubstr("1.3.6.1.4.1.3704.1.3.9"));

  EXPECT_EQ(productFromIssuer(*vcek, false), Product::kMilan);
  EXPECT_EQ(productFromIssuer(*vcek, true), std::nullopt);
  EXPECT_EQ(productFromIssuer(*vlek, true), Product::kMilan);
  EXPECT_EQ(productFromIssuer(*vlek, false), std::nullopt);
}

VcekId milanId() {
  VcekId id;
  for (std::size_t i = 0; i < id.chip_id.size(); ++i) {
    id.chip_id[i] = static_cast<std::uint8_t>(i);
  }
  id.tcb = TcbVersion{std::nullopt, 3, 0, 8, 115};
  return id;
}

// AMD VCEK spec 57230 §4.1 and the KDS URLs trustee builds.
TEST(SnpVcekSource, BuildsKdsUrls) {
  const VcekId milan = milanId();
  EXPECT_EQ(kdsVcekUrl("https://kdsintf.amd.com", milan),
            "https://kdsintf.amd.com/vcek/v1/Milan/" + hexEncode(milan.chip_id) +
                "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
  VcekId turin = milan;
  turin.product = Product::kTurin;
  turin.tcb = TcbVersion{5, 3, 1, 8, 15};
  EXPECT_EQ(kdsVcekUrl("https://kds.example", turin),
            "https://kds.example/vcek/v1/Turin/0001020304050607"
            "?blSPL=03&teeSPL=01&snpSPL=08&ucodeSPL=15&fmcSPL=05");
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("snp_vcek_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(removeAll(dir_));
    ASSERT_TRUE(createDirectories(dir_));
  }
  void TearDown() override { (void)removeAll(dir_); }
  std::filesystem::path dir_;
};

using SnpVcekCache = TempDir;

TEST_F(SnpVcekCache, PrefersTheTcbSpecificFileThenTheFallback) {
  const VcekId id = milanId();
  const auto paths = vcekCachePaths(dir_, id);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], dir_ / "vcek" / hexEncode(id.chip_id) / "bl03_tee00_snp08_ucode115_vcek.der");
  EXPECT_EQ(paths[1], dir_ / "vcek" / hexEncode(id.chip_id) / "vcek.der");

  auto none = loadCachedVcek(dir_, id);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Code::kNotFound);

  ASSERT_TRUE(createDirectories(paths[1].parent_path()));
  ASSERT_TRUE(writeFileAtomic(paths[1], Bytes{2}));
  auto fallback = loadCachedVcek(dir_, id);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(*fallback, Bytes{2});

  ASSERT_TRUE(storeCachedVcek(dir_, id, Bytes{1}));
  auto specific = loadCachedVcek(dir_, id);
  ASSERT_TRUE(specific);
  EXPECT_EQ(*specific, Bytes{1});
}

// Serves one DER for one URL and counts requests (no network).
class FakeKds : public http::HttpClient {
 public:
  FakeKds(std::string url, Bytes body) : url_(std::move(url)), body_(std::move(body)) {}
  Result<http::Response> send(const http::Request& request, std::size_t) override {
    ++calls;
    http::Response r;
    r.status = request.url == url_ ? 200 : 404;
    if (r.status == 200) {
      r.body = body_;
    }
    return r;
  }
  Result<http::Response> stream(const http::Request&, const http::HeadCallback&,
                                const http::ChunkCallback&) override {
    return fail(Code::kUnimplemented, "not used");
  }
  std::atomic<int> calls{0};

 private:
  std::string url_;
  Bytes body_;
};

Expectations expectFor(ByteSpan report) {
  Expectations e;
  e.report_data.assign(report.begin() + 0x50, report.begin() + 0x90);
  e.now = kTestNow;
  return e;
}

TEST_F(SnpVcekCache, VerifierUsesTheCacheWhenTheEvidenceHasNoVcek) {
  auto report = loadVector("snp/test-report.bin");
  auto vcek = loadVector("snp/test-vcek.der");
  if (!report || !vcek) {
    GTEST_SKIP() << "shared/testdata/evidence/snp missing";
  }
  const std::string hwid = hexEncode(ByteSpan(*report).subspan(0x1A0, 64));
  ASSERT_TRUE(createDirectories(dir_ / "vcek" / hwid));
  ASSERT_TRUE(writeFileAtomic(dir_ / "vcek" / hwid / "vcek.der", *vcek));
  SnpTrustConfig config;
  config.cache_dir = dir_;
  SnpVerifier verifier(config);
  auto r = verifier.verify(rawEvidence(*report), expectFor(*report));
  ASSERT_TRUE(r) << r.error().message;

  // A corrupt cached VCEK is untrusted, not the guest's fault.
  ASSERT_TRUE(writeFileAtomic(dir_ / "vcek" / hwid / "vcek.der", Bytes{1, 2, 3}));
  auto bad = verifier.verify(rawEvidence(*report), expectFor(*report));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, VerifyReason::kUntrustedKey);
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("VCEK from the cache"));
}

TEST_F(SnpVcekCache, VerifierFetchesFromKdsOnceAndCaches) {
  auto report = loadVector("snp/test-report.bin");
  auto vcek = loadVector("snp/test-vcek.der");
  if (!report || !vcek) {
    GTEST_SKIP() << "shared/testdata/evidence/snp missing";
  }
  const std::string hwid = hexEncode(ByteSpan(*report).subspan(0x1A0, 64));
  FakeKds kds(
      "https://kds.test/vcek/v1/Milan/" + hwid + "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
      *vcek);
  SnpTrustConfig config;
  config.cache_dir = dir_;
  config.kds_client = &kds;
  config.kds_url = "https://kds.test";
  SnpVerifier verifier(config);
  auto first = verifier.verify(rawEvidence(*report), expectFor(*report));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(kds.calls, 1);
  auto cached = readFile(dir_ / "vcek" / hwid / "bl03_tee00_snp08_ucode115_vcek.der", 1 << 16);
  ASSERT_TRUE(cached);
  EXPECT_EQ(*cached, *vcek);
  auto second = verifier.verify(rawEvidence(*report), expectFor(*report));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(kds.calls, 1);

  // Unknown chip: KDS answers 404 for Milan and Genoa, the reason names both tries.
  SnpTrustConfig no_cache;
  no_cache.kds_client = &kds;
  no_cache.kds_url = "https://kds.test";
  SnpVerifier uncached(no_cache);
  Bytes other = *report;
  other[0x1A0] ^= 1;
  auto missing = uncached.verify(rawEvidence(other), expectFor(other));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, VerifyReason::kUntrustedKey);
  EXPECT_THAT(missing.error().message, ::testing::HasSubstr("/vcek/v1/Genoa/"));
  EXPECT_THAT(missing.error().message, ::testing::HasSubstr("answered HTTP 404"));
}

}  // namespace
}  // namespace cocoon::verify::snp
