// SPDX-License-Identifier: Apache-2.0
#include "verify/tpm/verifier.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "support/expect.h"
#include "support/test_ca.h"
#include "verify/tpm/builders.h"

namespace cocoon::verify::tpm {
namespace {

using cocoon::test::CertBuilder;
using cocoon::test::kTestNow;
using cocoon::test::unhex;
using test::EvidenceBuilder;
using ::testing::HasSubstr;

void expectFailure(const Result<VerifiedEvidence, VerifyFailure>& r, VerifyReason reason,
                   std::string_view message_part = {}) {
  ASSERT_FALSE(r.has_value()) << "expected " << verifyReasonName(reason) << ", got success";
  EXPECT_EQ(r.error().reason, reason)
      << verifyReasonName(r.error().reason) << ": " << r.error().message;
  EXPECT_THAT(r.error().message, HasSubstr(std::string(message_part)));
}

// The runtime-data digest the attester was given: 48 bytes (SHA-384), as the KBS binds it.
const Bytes kReportData = crypto::sha384(asBytes("nonce and tee-pubkey"));

Expectations expect(ByteSpan report_data = kReportData) {
  Expectations e;
  e.report_data.assign(report_data.begin(), report_data.end());
  e.now = kTestNow;
  return e;
}

crypto::Key newKey(crypto::KeyType type) {
  auto k = crypto::Key::generate(type);
  EXPECT_TRUE(k);
  return *k;
}

// One RSA-2048 and one P-256 AK per test binary (RSA generation is slow under ASan).
const crypto::Key& rsaAk() {
  static const crypto::Key k = newKey(crypto::KeyType::kRsa);
  return k;
}
const crypto::Key& ecAk() {
  static const crypto::Key k = newKey(crypto::KeyType::kEcP256);
  return k;
}

TpmVerifier verifierTrusting(const crypto::Key& ak) {
  TpmTrustConfig trust;
  trust.trusted_aks.push_back(ak.publicKey());
  return TpmVerifier(trust);
}

// ---- The real vector: trustee deps/verifier/test_data/tpm_evidence.json (45e7c3a2) ----

struct Vector {
  json::Json evidence;
  crypto::Key ak;
};

std::optional<Vector> loadVector() {
  const std::filesystem::path path =
      std::filesystem::path(COCOON_TESTDATA_DIR) / "evidence/tpm/tpm_evidence.json";
  auto text = readTextFile(path, 1 << 20);
  if (!text) {
    return std::nullopt;
  }
  auto j = json::parseJson(*text);
  EXPECT_TRUE(j);
  auto der = base64Decode(j->at("ak_public").get<std::string>());
  auto key = crypto::Key::fromPublicDer(*der);
  EXPECT_TRUE(key);
  return Vector{*j, *key};
}

// extraData of the vector is this SHA-384 runtime-data digest zero-padded to 64 bytes (the
// attester's size before guest-components 79554cf8).
constexpr std::string_view kVectorReportData =
    "a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a18b3569ab678f1497fb"
    "c5c120";

TEST(TpmVerifier, AcceptsRealSwtpmEvidenceWithItsAk) {
  auto v = loadVector();
  if (!v) {
    GTEST_SKIP() << "shared/testdata/evidence/tpm/tpm_evidence.json not found";
  }
  auto r = verifierTrusting(v->ak).verify(v->evidence, expect(unhex(kVectorReportData)));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tee, kbs_protocol::Tee::kTpm);
  EXPECT_FALSE(r->development_only);
  const json::Json& c = r->claims;
  EXPECT_EQ(c["report_data"], std::string(kVectorReportData) + std::string(32, '0'));
  EXPECT_EQ(c["init_data"], std::string(64, '0'));
  EXPECT_EQ(c["ak_public"], v->evidence["ak_public"]);
  EXPECT_EQ(c["tpm.pcr00"], std::string(64, '0'));
  EXPECT_EQ(c["tpm.pcr17"], std::string(64, 'f'));
  EXPECT_EQ(c["tpm.pcr23"], std::string(64, '0'));
  EXPECT_EQ(c.size(), 3u + 24u);
}

TEST(TpmVerifier, RejectsRealEvidenceForOtherReportDataOrInitDataOrAk) {
  auto v = loadVector();
  if (!v) {
    GTEST_SKIP() << "shared/testdata/evidence/tpm/tpm_evidence.json not found";
  }
  const TpmVerifier verifier = verifierTrusting(v->ak);
  Bytes other = unhex(kVectorReportData);
  other[0] ^= 1;
  expectFailure(verifier.verify(v->evidence, expect(other)), VerifyReason::kReportDataMismatch,
                "extraData is a04182b5");
  // PCR8 is zero: no init data was bound.
  Expectations e = expect(unhex(kVectorReportData));
  e.init_data_digest = crypto::sha256(asBytes("init data"));
  expectFailure(verifier.verify(v->evidence, e), VerifyReason::kInitDataMismatch, "PCR8 is 0000");
  expectFailure(verifierTrusting(rsaAk()).verify(v->evidence, expect(unhex(kVectorReportData))),
                VerifyReason::kUntrustedKey, "is not a registered AK");
  json::Json tampered = v->evidence;
  tampered["tpm_quote"]["pcrs"][10] = std::string(64, '1');
  expectFailure(verifier.verify(tampered, expect(unhex(kVectorReportData))),
                VerifyReason::kMeasurementMismatch, "pcrDigest is 019de64c");
}

// ---- Built evidence ----

TEST(TpmVerifier, AcceptsRsaSsaRsaPssAndEcdsaQuotes) {
  for (bool pss : {false, true}) {
    EvidenceBuilder b(rsaAk());
    b.reportData(kReportData);
    if (pss) {
      b.rsaPss();
    }
    auto r = verifierTrusting(rsaAk()).verify(b.build(), expect());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->claims["report_data"], hexEncode(ByteSpan(kReportData).first(32)));
  }
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData, 64);
  auto r = verifierTrusting(ecAk()).verify(b.build(), expect());
  ASSERT_TRUE(r) << r.error().message;
}

TEST(TpmVerifier, ChecksInitDataAgainstPcr8) {
  const Bytes init_digest = crypto::sha256(asBytes("initdata.toml"));
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData).pcr(8, test::extend(Bytes(32, 0), init_digest));
  Expectations e = expect();
  e.init_data_digest = init_digest;
  auto r = verifierTrusting(ecAk()).verify(b.build(), e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["init_data"], hexEncode(test::extend(Bytes(32, 0), init_digest)));

  e.init_data_digest = crypto::sha256(asBytes("other.toml"));
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), e), VerifyReason::kInitDataMismatch,
                "PCR8 is");
  e.init_data_digest = crypto::sha384(asBytes("initdata.toml"));
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), e), VerifyReason::kInitDataMismatch,
                "the init-data digest has 48 bytes");
}

TEST(TpmVerifier, RejectsWrongReportData) {
  EvidenceBuilder b(ecAk());
  b.reportData(crypto::sha384(asBytes("another nonce")));
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), expect()),
                VerifyReason::kReportDataMismatch, "extraData is");
  // An attester may not shorten extraData to weaken the binding.
  b.reportData(kReportData, 16);
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), expect()),
                VerifyReason::kReportDataMismatch, "extraData has 16 bytes, expected 32 or 64");
}

TEST(TpmVerifier, RejectsUnknownAk) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  expectFailure(verifierTrusting(rsaAk()).verify(b.build(), expect()), VerifyReason::kUntrustedKey,
                "is not a registered AK and the evidence has no ak_cert_chain");
  expectFailure(TpmVerifier({}).verify(b.build(), expect()), VerifyReason::kUntrustedKey);
}

TEST(TpmVerifier, RejectsEveryTamperedQuoteByte) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  const json::Json good = b.build();
  const Bytes message = *base64Decode(good["tpm_quote"]["message"].get<std::string>());
  const TpmVerifier verifier = verifierTrusting(ecAk());
  for (std::size_t i = 0; i < message.size(); ++i) {
    Bytes m = message;
    m[i] ^= 0x01;
    json::Json ev = good;
    ev["tpm_quote"]["message"] = base64Encode(m);
    auto r = verifier.verify(ev, expect());
    ASSERT_FALSE(r) << "flipped byte " << i;
    // A flip either breaks the structure (magic, type, a length, a bank) or the signature.
    EXPECT_NE(r.error().reason, VerifyReason::kReportDataMismatch) << i;
    EXPECT_NE(r.error().reason, VerifyReason::kMeasurementMismatch) << i;
  }
  // Inside extraData the structure stays valid: only the signature can catch it.
  Bytes m = message;
  m[50] ^= 0x80;
  json::Json ev = good;
  ev["tpm_quote"]["message"] = base64Encode(m);
  expectFailure(verifier.verify(ev, expect()), VerifyReason::kBadSignature,
                "ECDSA-SHA256 quote signature");
}

TEST(TpmVerifier, RejectsTamperedPcrValue) {
  EvidenceBuilder b(rsaAk());
  b.reportData(kReportData);
  json::Json ev = b.build();
  ev["tpm_quote"]["pcrs"][4] = hexEncode(crypto::sha256(asBytes("bootloader")));
  expectFailure(verifierTrusting(rsaAk()).verify(ev, expect()), VerifyReason::kMeasurementMismatch,
                "the PCR values hash to");
}

TEST(TpmVerifier, RejectsWrongSignatureScheme) {
  EvidenceBuilder b(rsaAk());
  b.reportData(kReportData);
  json::Json ev = b.build();
  Bytes sig = *base64Decode(ev["tpm_quote"]["signature"].get<std::string>());
  // Claims RSAPSS for an RSASSA signature.
  sig[1] = static_cast<std::uint8_t>(kAlgRsaPss);
  ev["tpm_quote"]["signature"] = base64Encode(sig);
  expectFailure(verifierTrusting(rsaAk()).verify(ev, expect()), VerifyReason::kBadSignature,
                "RSA-PSS-SHA256 quote signature");
  // SHA-1 is outside the allow-list.
  sig[1] = static_cast<std::uint8_t>(kAlgRsaSsa);
  sig[3] = static_cast<std::uint8_t>(kAlgSha1);
  ev["tpm_quote"]["signature"] = base64Encode(sig);
  expectFailure(verifierTrusting(rsaAk()).verify(ev, expect()), VerifyReason::kUnsupportedEvidence,
                "signature hash is TPM_ALG_SHA1");
  // An ECDSA signature for an RSA AK.
  ev["tpm_quote"]["signature"] =
      base64Encode(test::marshalEcdsaSignature(kAlgSha256, Bytes(32, 1), Bytes(32, 2)));
  expectFailure(verifierTrusting(rsaAk()).verify(ev, expect()), VerifyReason::kUnsupportedEvidence,
                "signature scheme TPM_ALG_ECDSA with TPM_ALG_SHA256 does not fit the RSA AK");
  // HMAC is no signature at all.
  ev["tpm_quote"]["signature"] =
      base64Encode(test::marshalRsaSignature(0x0005, kAlgSha256, Bytes(32, 0)));
  expectFailure(verifierTrusting(rsaAk()).verify(ev, expect()), VerifyReason::kUnsupportedEvidence,
                "sigAlg is 0x0005");
}

TEST(TpmVerifier, RejectsEveryTruncatedStructureAndTrailingByte) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  const json::Json good = b.build();
  const TpmVerifier verifier = verifierTrusting(ecAk());
  for (const char* member : {"message", "signature"}) {
    const Bytes full = *base64Decode(good["tpm_quote"][member].get<std::string>());
    for (std::size_t n = 0; n <= full.size(); ++n) {
      Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      if (n == full.size()) {
        cut.push_back(0);  // one trailing byte
      }
      json::Json ev = good;
      ev["tpm_quote"][member] = base64Encode(cut);
      expectFailure(verifier.verify(ev, expect()), VerifyReason::kMalformedEvidence,
                    member == std::string_view("message") ? "tpm_quote.message (TPMS_ATTEST)"
                                                          : "tpm_quote.signature");
    }
  }
}

TEST(TpmVerifier, RejectsMalformedJson) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  const json::Json good = b.build();
  const TpmVerifier verifier = verifierTrusting(ecAk());
  expectFailure(verifier.verify(json::Json::array(), expect()), VerifyReason::kMalformedEvidence,
                "not a JSON object");
  json::Json ev = good;
  ev["tpm_quote"]["pcrs"].erase(23);
  expectFailure(verifier.verify(ev, expect()), VerifyReason::kMalformedEvidence,
                "tpm_quote.pcrs has 23 values, expected 24");
  ev = good;
  ev["tpm_quote"]["pcrs"][3] = "00";
  expectFailure(verifier.verify(ev, expect()), VerifyReason::kMalformedEvidence,
                "tpm_quote.pcrs[3] has 1 bytes, expected 32");
  ev = good;
  ev["extra"] = 1;
  expectFailure(verifier.verify(ev, expect()), VerifyReason::kMalformedEvidence,
                "unknown member 'extra'");
  ev = good;
  ev["ak_public"] = "AAAA";
  expectFailure(verifier.verify(ev, expect()), VerifyReason::kMalformedEvidence, "ak_public");
}

TEST(TpmVerifier, RejectsOtherPcrBanks) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  b.quote().pcrSelect({{kAlgSha1, {0xff, 0xff, 0xff}}});
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), expect()),
                VerifyReason::kUnsupportedEvidence, "expected one SHA-256 bank");
  b.quote().pcrSelect({{kAlgSha256, {0xff, 0xff, 0xff, 0x01}}});
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), expect()),
                VerifyReason::kUnsupportedEvidence, "selects PCR 24");
}

TEST(TpmVerifier, ClaimsOnlyQuotedPcrs) {
  EvidenceBuilder b(ecAk());
  b.reportData(kReportData);
  b.quote().pcrSelect({{kAlgSha256, {0x03, 0x00, 0x00}}});
  b.quote().pcrDigestOf(b.pcrs());
  auto r = verifierTrusting(ecAk()).verify(b.build(), expect());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->claims.contains("tpm.pcr01"));
  EXPECT_FALSE(r->claims.contains("tpm.pcr02"));
  EXPECT_FALSE(r->claims.contains("init_data"));
  Expectations e = expect();
  e.init_data_digest = Bytes(32, 0);
  expectFailure(verifierTrusting(ecAk()).verify(b.build(), e), VerifyReason::kInitDataMismatch,
                "PCR8 (init data) is not quoted");
}

// ---- Event log ----

TEST(TpmVerifier, AcceptsEventLogThatReplaysToQuotedPcrs) {
  const Bytes a = crypto::sha256(asBytes("shim")), b = crypto::sha256(asBytes("grub"));
  EvidenceBuilder ev(ecAk());
  ev.reportData(kReportData).pcr(4, test::extend(test::extend(Bytes(32, 0), a), b));
  ev.eventLog(test::EventLogBuilder().event(4, a).event(4, b).build());
  auto r = verifierTrusting(ecAk()).verify(ev.build(), expect());
  ASSERT_TRUE(r) << r.error().message;

  // The same quote with a log whose second event was swapped.
  ev.eventLog(test::EventLogBuilder().event(4, a).event(4, a).build());
  expectFailure(verifierTrusting(ecAk()).verify(ev.build(), expect()),
                VerifyReason::kEventLogMismatch, "replaying the event log gives PCR 4 = ");
  // An event for a PCR the quote does not cover.
  ev.quote().pcrSelect({{kAlgSha256, {0xff, 0x00, 0x00}}});
  ev.quote().pcrDigestOf(ev.pcrs());
  ev.eventLog(test::EventLogBuilder().event(4, a).event(4, b).event(10, a).build());
  expectFailure(verifierTrusting(ecAk()).verify(ev.build(), expect()),
                VerifyReason::kEventLogMismatch,
                "the event log extends PCR 10, which the quote does not cover");
  ev.eventLog(Bytes{1, 2, 3});
  expectFailure(verifierTrusting(ecAk()).verify(ev.build(), expect()),
                VerifyReason::kMalformedEvidence, "eventlog: need 4 bytes");
}

// ---- AK certificates ----

// A root and an intermediate CA of AK certificates.
struct AkPki {
  cocoon::test::IssuedCert root = CertBuilder().subject("CN=AK root").ca(true).build();
  cocoon::test::IssuedCert ca = CertBuilder().subject("CN=AK CA").issuer(root).ca(true).build();

  // A verifier trusting this root only.
  TpmVerifier verifier() const {
    TpmTrustConfig trust;
    trust.ak_ca_certificates.push_back(root.cert);
    return TpmVerifier(trust);
  }
  // Evidence signed by ecAk() carrying an AK certificate for `leaf_key` issued by this CA.
  json::Json evidence(const crypto::Key& leaf_key) const {
    auto leaf = CertBuilder().subject("CN=AK").issuer(ca).key(leaf_key.publicKey()).build();
    EvidenceBuilder b(ecAk());
    b.reportData(kReportData).akCertChain({leaf.cert.der(), ca.cert.der()});
    return b.build();
  }
};

TEST(TpmVerifier, TrustsAkCertifiedByConfiguredCa) {
  AkPki pki;
  auto r = pki.verifier().verify(pki.evidence(ecAk()), expect());
  ASSERT_TRUE(r) << r.error().message;

  // Expired at verification time.
  Expectations late = expect();
  late.now = kTestNow + 400 * cocoon::test::kDay;
  expectFailure(pki.verifier().verify(pki.evidence(ecAk()), late),
                VerifyReason::kCertificateInvalid, "expired");
}

TEST(TpmVerifier, RejectsAkCertFromAnotherCa) {
  AkPki pki;
  AkPki other;
  expectFailure(pki.verifier().verify(other.evidence(ecAk()), expect()),
                VerifyReason::kUntrustedKey, "AK certificate 'CN=AK'");
}

TEST(TpmVerifier, RejectsAkCertForAnotherKey) {
  AkPki pki;
  expectFailure(pki.verifier().verify(pki.evidence(rsaAk()), expect()), VerifyReason::kUntrustedKey,
                "the key of AK certificate 'CN=AK' is not ak_public");
}

}  // namespace
}  // namespace cocoon::verify::tpm
