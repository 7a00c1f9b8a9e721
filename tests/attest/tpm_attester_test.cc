// SPDX-License-Identifier: Apache-2.0
// The TPM attester against a real software TPM, checked by the `tpm` verifier.
#include "attest/tpm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attest/swtpm.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "verify/builtin.h"

namespace cocoon::attest {
namespace {

using ::testing::HasSubstr;
using verify::VerifyReason;

const Bytes kReportData = crypto::sha384(asBytes("nonce and tee-pubkey"));

class TpmAttesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tpm = test::Swtpm::start();
    ASSERT_TRUE(tpm) << tpm.error().toString();
    swtpm_ = std::move(*tpm);
  }

  std::unique_ptr<TpmAttester> attester(TpmAkType type = TpmAkType::kRsa2048,
                                        TpmHierarchy hierarchy = TpmHierarchy::kEndorsement,
                                        std::size_t report_data_size = 32) {
    TpmAttesterConfig config;
    config.tcti = swtpm_->tcti();
    config.ak_type = type;
    config.hierarchy = hierarchy;
    config.report_data_size = report_data_size;
    auto a = createTpmAttester(config);
    EXPECT_TRUE(a) << a.error().toString();
    return a ? std::move(*a) : nullptr;
  }

  // The KBS's `tpm` verifier (through the public registration) trusting `a`'s AK.
  static std::unique_ptr<verify::VerifierRegistry> verifierFor(const TpmAttester& a) {
    verify::BuiltinVerifierConfig config;
    config.tpm.trusted_aks.push_back(*crypto::Key::fromPublicDer(a.akPublicDer()));
    auto registry = std::make_unique<verify::VerifierRegistry>();
    EXPECT_TRUE(verify::registerBuiltinVerifiers(*registry, config));
    return registry;
  }
  static Result<verify::VerifiedEvidence, verify::VerifyFailure> verifyWith(
      const TpmAttester& a, const json::Json& evidence, const verify::Expectations& e) {
    return verifierFor(a)->find(kbs_protocol::Tee::kTpm)->verify(evidence, e);
  }

  static verify::Expectations expect(ByteSpan report_data = kReportData) {
    verify::Expectations e;
    e.report_data.assign(report_data.begin(), report_data.end());
    return e;
  }

  std::unique_ptr<test::Swtpm> swtpm_;
};

TEST_F(TpmAttesterTest, RsaAkEvidenceVerifies) {
  auto a = attester();
  ASSERT_NE(a, nullptr);
  auto ev = a->evidence(kReportData);
  ASSERT_TRUE(ev) << ev.error().toString();
  auto r = verifyWith(*a, *ev, expect());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->claims["report_data"], hexEncode(ByteSpan(kReportData).first(32)));
  EXPECT_EQ(r->claims["tpm.pcr00"], std::string(64, '0'));
  EXPECT_EQ(r->claims["tpm.pcr17"], std::string(64, 'f'));  // DRTM PCRs reset to ones
  EXPECT_EQ(r->claims["ak_public"], base64Encode(a->akPublicDer()));
  EXPECT_EQ((*ev)["tpm_quote"]["pcrs"].size(), 24u);
}

TEST_F(TpmAttesterTest, EccAkUnderOwnerHierarchyWith64ByteReportData) {
  auto a = attester(TpmAkType::kEccP256, TpmHierarchy::kOwner, 64);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(crypto::Key::fromPublicDer(a->akPublicDer())->type(), crypto::KeyType::kEcP256);
  auto ev = a->evidence(kReportData);
  ASSERT_TRUE(ev) << ev.error().toString();
  auto r = verifyWith(*a, *ev, expect());
  ASSERT_TRUE(r) << r.error().message;
  Bytes padded = kReportData;
  padded.resize(64, 0);
  EXPECT_EQ(r->claims["report_data"], hexEncode(padded));
}

TEST_F(TpmAttesterTest, AkIsStableAcrossAttestersOfOneTpm) {
  auto first = attester(TpmAkType::kEccP256);
  ASSERT_NE(first, nullptr);
  const Bytes ak = first->akPublicDer();
  first.reset();  // flushes the transient AK
  auto second = attester(TpmAkType::kEccP256);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->akPublicDer(), ak);
}

TEST_F(TpmAttesterTest, InitDataBoundInPcr8Verifies) {
  auto a = attester(TpmAkType::kEccP256);
  ASSERT_NE(a, nullptr);
  const Bytes init = crypto::sha256(asBytes("initdata.toml"));
  ASSERT_TRUE(a->bindInitData(init));
  auto ev = a->evidence(kReportData);
  ASSERT_TRUE(ev) << ev.error().toString();
  verify::Expectations e = expect();
  e.init_data_digest = init;
  auto r = verifyWith(*a, *ev, e);
  ASSERT_TRUE(r) << r.error().message;
  Bytes extend_input(32, 0);
  extend_input.insert(extend_input.end(), init.begin(), init.end());
  EXPECT_EQ(r->claims["init_data"], hexEncode(crypto::sha256(extend_input)));

  e.init_data_digest = crypto::sha256(asBytes("other.toml"));
  auto wrong = verifyWith(*a, *ev, e);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().reason, VerifyReason::kInitDataMismatch);
}

TEST_F(TpmAttesterTest, ExtendedPcrIsQuoted) {
  auto a = attester(TpmAkType::kEccP256);
  ASSERT_NE(a, nullptr);
  const Bytes digest = crypto::sha256(asBytes("kernel"));
  ASSERT_TRUE(a->extendPcr(11, digest));
  auto ev = a->evidence(kReportData);
  ASSERT_TRUE(ev);
  auto r = verifyWith(*a, *ev, expect());
  ASSERT_TRUE(r) << r.error().message;
  Bytes in(32, 0);
  in.insert(in.end(), digest.begin(), digest.end());
  EXPECT_EQ(r->claims["tpm.pcr11"], hexEncode(crypto::sha256(in)));
  auto bad = a->extendPcr(24, digest);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
}

TEST_F(TpmAttesterTest, VerifierRejectsWrongNonceUnknownAkAndTampering) {
  auto a = attester(TpmAkType::kEccP256);
  auto other = attester(TpmAkType::kEccP256, TpmHierarchy::kOwner);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(other, nullptr);
  auto ev = a->evidence(kReportData);
  ASSERT_TRUE(ev);

  auto nonce = verifyWith(*a, *ev, expect(crypto::sha384(asBytes("replayed"))));
  ASSERT_FALSE(nonce);
  EXPECT_EQ(nonce.error().reason, VerifyReason::kReportDataMismatch);

  auto unknown = verifyWith(*other, *ev, expect());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().reason, VerifyReason::kUntrustedKey);

  json::Json tampered = *ev;
  Bytes msg = *base64Decode(tampered["tpm_quote"]["message"].get<std::string>());
  msg[msg.size() - 1] ^= 1;  // last byte of pcrDigest
  tampered["tpm_quote"]["message"] = base64Encode(msg);
  auto sig = verifyWith(*a, tampered, expect());
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().reason, VerifyReason::kBadSignature);

  tampered = *ev;
  tampered["tpm_quote"]["pcrs"][7] = std::string(64, 'a');
  auto pcr = verifyWith(*a, tampered, expect());
  ASSERT_FALSE(pcr);
  EXPECT_EQ(pcr.error().reason, VerifyReason::kMeasurementMismatch);
}

TEST(TpmAttester, RejectsBadConfigAndUnreachableTpm) {
  TpmAttesterConfig config;
  config.report_data_size = 65;
  auto size = createTpmAttester(config);
  ASSERT_FALSE(size);
  EXPECT_EQ(size.error().code, Code::kInvalidArgument);

  // Port 1 on loopback is not listening (and not bindable without privileges).
  config.report_data_size = 32;
  config.tcti = "swtpm:host=127.0.0.1,port=1";
  auto down = createTpmAttester(config);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Code::kUnavailable);
  EXPECT_THAT(down.error().message, HasSubstr("swtpm:host=127.0.0.1,port=1"));
}

}  // namespace
}  // namespace cocoon::attest
