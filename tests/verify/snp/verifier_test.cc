// SPDX-License-Identifier: Apache-2.0
// The snp verifier against real hardware vectors (trustee's deps/verifier/test_data/snp and
// az-snp-vtpm, see shared/testdata/evidence/README.md) and their tampered variants.
#include "verify/snp/verifier.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"
#include "support/test_ca.h"
#include "verify/snp/evidence.h"
#include "verify/snp/vectors.h"

namespace cocoon::verify::snp {
namespace {

using cocoon::test::kTestNow;
using json::Json;
using test::flipped;
using test::loadPemCertificate;
using test::loadVector;
using test::rawEvidence;
using ::testing::HasSubstr;

using Outcome = Result<VerifiedEvidence, VerifyFailure>;

void expectFailure(const Outcome& r, VerifyReason reason, std::string_view message_part = {}) {
  ASSERT_FALSE(r.has_value()) << "expected " << verifyReasonName(reason) << ", got success";
  EXPECT_EQ(r.error().reason, reason)
      << verifyReasonName(r.error().reason) << ": " << r.error().message;
  EXPECT_THAT(r.error().message, HasSubstr(std::string(message_part)));
}

// The vectors' REPORT_DATA is arbitrary, so positive cases expect the report's own value.
Expectations expectFor(ByteSpan report, crypto::TimePoint now = kTestNow) {
  Expectations e;
  e.report_data.assign(report.begin() + 0x50, report.begin() + 0x90);
  e.now = now;
  return e;
}

struct Vectors {
  Bytes report;       // test-report.bin (v2, VCEK, Milan)
  Bytes vcek;         // test-vcek.der
  Bytes vlek_report;  // test-vlek-report.bin (v3, VLEK, Milan)
  Bytes vlek;         // test-vlek.der
  Bytes genoa_vcek;   // az-snp-vtpm/vcek-genoa.pem
  Bytes other_vcek;   // az-snp-vtpm/vcek.pem: another Milan chip, same TCB
};

std::optional<Vectors> loadAll() {
  auto report = loadVector("snp/test-report.bin");
  auto vcek = loadVector("snp/test-vcek.der");
  auto vlek_report = loadVector("snp/test-vlek-report.bin");
  auto vlek = loadVector("snp/test-vlek.der");
  auto genoa = loadPemCertificate("az-snp-vtpm/vcek-genoa.pem");
  auto other = loadPemCertificate("az-snp-vtpm/vcek.pem");
  if (!report || !vcek || !vlek_report || !vlek || !genoa || !other) {
    return std::nullopt;
  }
  return Vectors{*report, *vcek, *vlek_report, *vlek, *genoa, *other};
}

class SnpVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = loadAll();
    if (!v) {
      GTEST_SKIP() << "shared/testdata/evidence/snp or az-snp-vtpm missing";
    }
    v_ = std::move(*v);
  }
  Outcome run(const Json& evidence, const Expectations& e) const {
    return verifier_.verify(evidence, e);
  }
  Vectors v_;
  SnpVerifier verifier_{SnpTrustConfig{}};
};

TEST_F(SnpVerifierTest, AcceptsGenuineVcekReportWithItsClaims) {
  auto r = run(rawEvidence(v_.report, "VCEK", v_.vcek), expectFor(v_.report));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tee, kbs_protocol::Tee::kSnp);
  EXPECT_FALSE(r->development_only);
  const Json& c = r->claims;
  EXPECT_EQ(c["snp.measurement"],
            "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be9"
            "17f9050d3d38c");
  EXPECT_EQ(c["report_data"], "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2" +
                                  std::string(64, '0'));
  EXPECT_EQ(c["init_data"], std::string(64, '0'));
  EXPECT_EQ(c["snp.host_data"], std::string(64, '0'));
  // trustee's claim test: hex lengths of measurement, report_data, init_data, chip_id.
  EXPECT_EQ(c["snp.measurement"].get<std::string>().size(), 96u);
  EXPECT_EQ(c["snp.chip_id"].get<std::string>().size(), 128u);
  EXPECT_EQ(c["snp.chip_id"].get<std::string>().substr(0, 16), "c38427a30d4c7af9");
  EXPECT_EQ(c["snp.version"], 2);
  EXPECT_EQ(c["snp.guest_svn"], 4);
  EXPECT_EQ(c["snp.policy"], 0x3001f);
  EXPECT_EQ(c["snp.policy.debug"], false);
  EXPECT_EQ(c["snp.policy.smt"], true);
  EXPECT_EQ(c["snp.policy.migrate_ma"], false);
  EXPECT_EQ(c["snp.policy.abi_minor"], 31);
  EXPECT_EQ(c["snp.vmpl"], 0);
  EXPECT_EQ(c["snp.family_id"], "01" + std::string(30, '0'));
  EXPECT_EQ(c["snp.image_id"], "02" + std::string(30, '0'));
  EXPECT_EQ(c["snp.reported_tcb.bootloader"], 3);
  EXPECT_EQ(c["snp.reported_tcb.tee"], 0);
  EXPECT_EQ(c["snp.reported_tcb.snp"], 8);
  EXPECT_EQ(c["snp.reported_tcb.microcode"], 115);
  EXPECT_EQ(c["snp.current_tcb.microcode"], 206);
  EXPECT_EQ(c["snp.current_version"], "1.52.4");
  EXPECT_EQ(c["snp.signing_key"], "vcek");
  EXPECT_EQ(c["snp.product"], "Milan");
  EXPECT_FALSE(c.contains("snp.cpuid.family"));
}

TEST_F(SnpVerifierTest, AcceptsGenuineVlekReportWithItsClaims) {
  auto r = run(rawEvidence(v_.vlek_report, "VLEK", v_.vlek), expectFor(v_.vlek_report));
  ASSERT_TRUE(r) << r.error().message;
  const Json& c = r->claims;
  EXPECT_EQ(c["snp.measurement"],
            "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a49"
            "3df2a570d7bf0");
  EXPECT_EQ(c["report_data"].get<std::string>().substr(0, 8), "819770b7");
  EXPECT_EQ(c["snp.version"], 3);
  EXPECT_EQ(c["snp.vmpl"], 1);
  EXPECT_EQ(c["snp.policy"], 0x30000);
  EXPECT_EQ(c["snp.platform_info"], 0x27);
  EXPECT_EQ(c["snp.platform_info.smt_enabled"], true);
  EXPECT_EQ(c["snp.signing_key"], "vlek");
  EXPECT_EQ(c["snp.chip_id"], std::string(128, '0'));
  EXPECT_EQ(c["snp.reported_tcb.bootloader"], 4);
  EXPECT_EQ(c["snp.reported_tcb.snp"], 24);
  EXPECT_EQ(c["snp.reported_tcb.microcode"], 217);
  EXPECT_EQ(c["snp.cpuid.family"], 0x19);
  EXPECT_EQ(c["snp.cpuid.model"], 1);
  EXPECT_EQ(c["snp.current_version"], "1.55.29");
}

// The SNP report inside an Azure HCL report (offset 0x20) with its VCEK (az-snp-vtpm).
TEST_F(SnpVerifierTest, AcceptsTheReportEmbeddedInAnAzureHclReport) {
  auto hcl = loadVector("az-snp-vtpm/hcl-report.bin");
  ASSERT_TRUE(hcl);
  const Bytes report(hcl->begin() + 0x20, hcl->begin() + 0x20 + kReportSize);
  auto r = run(rawEvidence(report, "VCEK", v_.other_vcek), expectFor(report));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["snp.measurement"],
            "9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c2294"
            "4eb386d17c315");
  EXPECT_EQ(r->claims["snp.guest_svn"], 5);
  EXPECT_EQ(r->claims["snp.reported_tcb.microcode"], 115);
  // Its upstream corruption case: reported_tcb.snp (offset 0x1a6 - 0x20 = 0x186) zeroed.
  Bytes bad = report;
  bad[0x186] = 0;
  expectFailure(run(rawEvidence(bad, "VCEK", v_.other_vcek), expectFor(report)),
                VerifyReason::kTcbOutOfDate, "bl03_tee00_snp00_ucode115");
}

// CoCo's attester sends the report as the `sev` crate serialises it: re-encoded, the
// signature must still verify, in the newest crate's shape and in the older one.
TEST_F(SnpVerifierTest, AcceptsCocoSerdeEvidence) {
  for (const Bytes* bytes : {&v_.report, &v_.vlek_report}) {
    auto parsed = parseSnpReport(*bytes);
    ASSERT_TRUE(parsed);
    const bool vlek = bytes == &v_.vlek_report;
    const Bytes& cert = vlek ? v_.vlek : v_.vcek;
    Json ev = {
        {"attestation_report", snpReportToJson(*parsed)},
        {"cert_chain", Json::array({{{"cert_type", vlek ? "VLEK" : "VCEK"}, {"data", cert}}})}};
    auto r = run(ev, expectFor(*bytes));
    ASSERT_TRUE(r) << r.error().message;

    // sev 1.x-4.x: _author_key_en, flat firmware versions, TCB _reserved, no fmc.
    Json old = ev;
    Json& rep = old["attestation_report"];
    rep["_author_key_en"] = rep["key_info"];
    rep["_reserved_0"] = 0;
    rep.erase("key_info");
    for (const char* v : {"current", "committed"}) {
      for (const char* part : {"build", "minor", "major"}) {
        rep[std::string(v) + "_" + part] = rep[v][part];
      }
      rep.erase(v);
    }
    for (const char* t : {"current_tcb", "reported_tcb", "committed_tcb", "launch_tcb"}) {
      rep[t].erase("fmc");
      rep[t]["_reserved"] = Json::array({0, 0, 0, 0});
    }
    rep["signature"]["_reserved"] = Json::array();
    auto r_old = run(old, expectFor(*bytes));
    ASSERT_TRUE(r_old) << r_old.error().message;
    EXPECT_EQ(r_old->claims, r->claims);
  }
}

TEST_F(SnpVerifierTest, AcceptsACertificateTableAfterTheReport) {
  // GHCB layout: one VCEK entry, the terminator, then the certificate.
  Bytes table;
  const Bytes guid = cocoon::test::unhex("63da758de6644564adc5f4b93be8accd");
  table.insert(table.end(), guid.begin(), guid.end());
  const auto offset = static_cast<std::uint32_t>(48);
  const auto length = static_cast<std::uint32_t>(v_.vcek.size());
  for (std::uint32_t v : {offset, length}) {
    for (int i = 0; i < 4; ++i) {
      table.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  table.resize(48, 0);
  table.insert(table.end(), v_.vcek.begin(), v_.vcek.end());
  Bytes blob = v_.report;
  blob.insert(blob.end(), table.begin(), table.end());
  auto r = run(rawEvidence(blob), expectFor(v_.report));
  ASSERT_TRUE(r) << r.error().message;
}

// ---- each tampering fails with its own reason ------------------------------------------

TEST_F(SnpVerifierTest, RefusesAFlippedReportBodyByte) {
  expectFailure(run(rawEvidence(flipped(v_.report, 42), "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kBadSignature,
                "report signature (offset 0x2a0) does not verify with the VCEK");
  expectFailure(
      run(rawEvidence(flipped(v_.vlek_report, 42), "VLEK", v_.vlek), expectFor(v_.vlek_report)),
      VerifyReason::kBadSignature, "with the VLEK");
}

TEST_F(SnpVerifierTest, RefusesAFlippedSignatureByte) {
  expectFailure(
      run(rawEvidence(flipped(v_.report, 0x2A0 + 5), "VCEK", v_.vcek), expectFor(v_.report)),
      VerifyReason::kBadSignature);
}

TEST_F(SnpVerifierTest, RefusesAReportedTcbTheKeyDoesNotCertify) {
  expectFailure(run(rawEvidence(flipped(v_.report, 0x180), "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kTcbOutOfDate,
                "REPORTED_TCB (offset 0x180) is bl02_tee00_snp08_ucode115, the VCEK certifies "
                "bl03_tee00_snp08_ucode115");
  expectFailure(
      run(rawEvidence(flipped(v_.vlek_report, 0x180), "VLEK", v_.vlek), expectFor(v_.vlek_report)),
      VerifyReason::kTcbOutOfDate, "the VLEK certifies bl04_tee00_snp24_ucode217");
}

TEST_F(SnpVerifierTest, RefusesAVcekWithABrokenSignature) {
  expectFailure(run(rawEvidence(v_.report, "VCEK", flipped(v_.vcek, 42)), expectFor(v_.report)),
                VerifyReason::kUntrustedKey,
                "VCEK from the evidence, chained to AMD's Milan ASK and ARK: bad signature");
}

TEST_F(SnpVerifierTest, RefusesAnotherChipsVcek) {
  expectFailure(run(rawEvidence(v_.report, "VCEK", v_.other_vcek), expectFor(v_.report)),
                VerifyReason::kUntrustedKey, "the VCEK's hwID");
}

TEST_F(SnpVerifierTest, RefusesAVcekOfferedAsTheVlek) {
  expectFailure(run(rawEvidence(v_.vlek_report, "VLEK", v_.vcek), expectFor(v_.vlek_report)),
                VerifyReason::kUntrustedKey,
                "VLEK from the evidence, chained to AMD's Milan ASVK and ARK: untrusted");
}

// The v3 report names Milan by CPUID; a Genoa-rooted key cannot sign for it.
TEST_F(SnpVerifierTest, RefusesAKeyOfAnotherProductsRoot) {
  expectFailure(run(rawEvidence(v_.vlek_report, "VLEK", v_.genoa_vcek), expectFor(v_.vlek_report)),
                VerifyReason::kUntrustedKey, "chained to AMD's Milan ASVK and ARK: untrusted");
  // A v2 report takes the product from the issuer: Genoa's chain holds, the chip does not.
  expectFailure(run(rawEvidence(v_.report, "VCEK", v_.genoa_vcek), expectFor(v_.report)),
                VerifyReason::kUntrustedKey, "hwID");
}

TEST_F(SnpVerifierTest, RefusesAnExpiredOrNotYetValidKey) {
  // test-vlek.der is valid 2024-12-10 .. 2025-12-10.
  const auto after = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  expectFailure(run(rawEvidence(v_.vlek_report, "VLEK", v_.vlek),
                    expectFor(v_.vlek_report, crypto::TimePoint(after))),
                VerifyReason::kCertificateInvalid, "ASVK and ARK: expired");
  const auto before = std::chrono::sys_days{std::chrono::year{2022} / 1 / 1};
  expectFailure(
      run(rawEvidence(v_.report, "VCEK", v_.vcek), expectFor(v_.report, crypto::TimePoint(before))),
      VerifyReason::kCertificateInvalid, "ASK and ARK: not yet valid");
}

// A remembered chain still honours the verification time and the key's kind.
TEST_F(SnpVerifierTest, RemembersVerifiedChainsWithinTheirValidityOnly) {
  ASSERT_TRUE(run(rawEvidence(v_.vlek_report, "VLEK", v_.vlek), expectFor(v_.vlek_report)));
  ASSERT_TRUE(run(rawEvidence(v_.vlek_report, "VLEK", v_.vlek), expectFor(v_.vlek_report)));
  const auto after = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  expectFailure(run(rawEvidence(v_.vlek_report, "VLEK", v_.vlek),
                    expectFor(v_.vlek_report, crypto::TimePoint(after))),
                VerifyReason::kCertificateInvalid, "expired");
  ASSERT_TRUE(run(rawEvidence(v_.report, "VCEK", v_.vcek), expectFor(v_.report)));
  expectFailure(run(rawEvidence(v_.vlek_report, "VLEK", v_.vcek), expectFor(v_.vlek_report)),
                VerifyReason::kUntrustedKey, "ASVK and ARK: untrusted");
  expectFailure(
      run(rawEvidence(v_.report, "VCEK", v_.vcek),
          expectFor(v_.report, crypto::TimePoint(after + 5 * 365 * std::chrono::days{1}))),
      VerifyReason::kCertificateInvalid, "expired");
}

TEST_F(SnpVerifierTest, RefusesWrongReportData) {
  Expectations e = expectFor(v_.report);
  e.report_data[0] ^= 1;
  expectFailure(run(rawEvidence(v_.report, "VCEK", v_.vcek), e), VerifyReason::kReportDataMismatch,
                "REPORT_DATA is ec6c52d7");
  // A shorter digest is zero-padded: the 32-byte prefix alone matches this report.
  e = expectFor(v_.report);
  e.report_data.resize(32);
  EXPECT_TRUE(run(rawEvidence(v_.report, "VCEK", v_.vcek), e));
}

TEST_F(SnpVerifierTest, ChecksInitDataAgainstHostData) {
  Expectations e = expectFor(v_.report);
  e.init_data_digest = Bytes(32, 0);
  EXPECT_TRUE(run(rawEvidence(v_.report, "VCEK", v_.vcek), e));
  e.init_data_digest = Bytes(48, 0x11);
  expectFailure(run(rawEvidence(v_.report, "VCEK", v_.vcek), e), VerifyReason::kInitDataMismatch,
                "HOST_DATA is 0000");
}

TEST_F(SnpVerifierTest, RefusesDebugGuestsUnlessAllowed) {
  const Bytes debug = flipped(v_.report, 0x0A, 0x08);  // policy bit 19
  expectFailure(run(rawEvidence(debug, "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kUnsupportedEvidence, "allows debugging (bit 19)");
  SnpTrustConfig config;
  config.allow_debug = true;
  SnpVerifier lenient(config);
  // Allowed, the check passes and the signature (which covers the policy) fails.
  expectFailure(lenient.verify(rawEvidence(debug, "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kBadSignature);
}

TEST_F(SnpVerifierTest, RefusesWhatItDoesNotSupport) {
  Bytes algo = v_.report;
  algo[0x34] = 2;
  expectFailure(run(rawEvidence(algo, "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kUnsupportedEvidence, "SIGNATURE_ALGO (offset 0x34) is 2");
  Bytes key = v_.report;
  key[0x48] = 7 << 2;
  expectFailure(run(rawEvidence(key, "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kUnsupportedEvidence, "SIGNING_KEY (offset 0x48 bits 4:2) is 7");
  Bytes version = v_.report;
  version[0] = 4;
  expectFailure(run(rawEvidence(version, "VCEK", v_.vcek), expectFor(v_.report)),
                VerifyReason::kUnsupportedEvidence, "version 4");
  Bytes cpuid = v_.vlek_report;
  cpuid[0x188] = 0x17;
  expectFailure(run(rawEvidence(cpuid, "VLEK", v_.vlek), expectFor(v_.vlek_report)),
                VerifyReason::kUnsupportedEvidence, "CPUID family 0x17 model 0x01");
}

TEST_F(SnpVerifierTest, RefusesMalformedEvidence) {
  expectFailure(run(Json::array(), expectFor(v_.report)), VerifyReason::kMalformedEvidence,
                "expected a JSON object");
  expectFailure(run(Json::object(), expectFor(v_.report)), VerifyReason::kMalformedEvidence,
                "attestation_report: missing");
  expectFailure(run(rawEvidence(ByteSpan(v_.report).first(100)), expectFor(v_.report)),
                VerifyReason::kMalformedEvidence, "100 bytes, expected at least 1184");
  expectFailure(
      run(rawEvidence(v_.report, "VCEK", ByteSpan(v_.vcek).first(50)), expectFor(v_.report)),
      VerifyReason::kMalformedEvidence, "VCEK from the evidence");
  Json bad_type = rawEvidence(v_.report, "VCEK", v_.vcek);
  bad_type["cert_chain"][0]["cert_type"] = "PEK";
  expectFailure(run(bad_type, expectFor(v_.report)), VerifyReason::kMalformedEvidence,
                "cert_chain[0]: cert_type: unknown type 'PEK'");
  Json bad_byte = rawEvidence(v_.report, "VCEK", v_.vcek);
  bad_byte["cert_chain"][0]["data"][3] = 256;
  expectFailure(run(bad_byte, expectFor(v_.report)), VerifyReason::kMalformedEvidence,
                "data[3]: expected a byte (0..255)");
}

TEST_F(SnpVerifierTest, RefusesAVlekReportWithoutItsVlek) {
  expectFailure(run(rawEvidence(v_.vlek_report), expectFor(v_.vlek_report)),
                VerifyReason::kUntrustedKey, "the evidence carries none (VLEKs are not fetched)");
  // A VCEK entry does not stand in for the VLEK the report names.
  expectFailure(run(rawEvidence(v_.vlek_report, "VCEK", v_.vcek), expectFor(v_.vlek_report)),
                VerifyReason::kUntrustedKey, "carries none");
}

TEST_F(SnpVerifierTest, RefusesAVcekReportWithNoVcekAnywhere) {
  expectFailure(run(rawEvidence(v_.report), expectFor(v_.report)), VerifyReason::kUntrustedKey,
                "the evidence carries no VCEK, no cache directory and KDS access is not allowed");
}

// trustee's check_milan_certificates, for every pinned product.
TEST(SnpVendorCerts, ArePinnedForEveryProduct) {
  SnpVerifier verifier{SnpTrustConfig{}};
  for (Product p : {Product::kMilan, Product::kGenoa, Product::kTurin}) {
    const auto& chain = verifier.vendorChain(p);
    const std::string name(productName(p));
    EXPECT_THAT(chain.ark.subject(), HasSubstr("CN=ARK-" + name));
    EXPECT_THAT(chain.ask.subject(), HasSubstr("CN=SEV-" + name));
    EXPECT_THAT(chain.asvk.subject(), HasSubstr("CN=SEV-VLEK-" + name));
    auto ark_key = chain.ark.publicKey();
    ASSERT_TRUE(ark_key);
    EXPECT_TRUE(chain.ark.verifySignature(*ark_key)) << name;
    EXPECT_TRUE(chain.ask.verifySignature(*ark_key)) << name;
    EXPECT_TRUE(chain.asvk.verifySignature(*ark_key)) << name;
  }
}

}  // namespace
}  // namespace cocoon::verify::snp
