// SPDX-License-Identifier: Apache-2.0
#include "verify/sample/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"

namespace cocoon::verify::sample {
namespace {

using ::testing::HasSubstr;

const Bytes kReportData = crypto::sha384(asBytes("runtime data"));

// The shape guest-components' sample attester sends (attester/src/sample/mod.rs).
json::Json sampleEvidence(ByteSpan report_data) {
  return {{"svn", "1"}, {"report_data", base64Encode(report_data)}};
}

Expectations expect() {
  Expectations e;
  e.report_data = kReportData;
  return e;
}

TEST(SampleVerifier, AcceptsBoundEvidenceAsDevelopmentOnly) {
  Expectations e = expect();
  e.init_data_digest = crypto::sha256(asBytes("init"));
  auto r = SampleVerifier().verify(sampleEvidence(kReportData), e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->development_only);
  EXPECT_EQ(r->tee, kbs_protocol::Tee::kSample);
  EXPECT_EQ(r->claims["svn"], "1");
  EXPECT_EQ(r->claims["report_data"], hexEncode(kReportData));
  EXPECT_EQ(r->claims["init_data"], hexEncode(*e.init_data_digest));
  EXPECT_EQ(r->claims["debug"], false);
}

TEST(SampleVerifier, RejectsOtherReportData) {
  Bytes padded = kReportData;
  padded.resize(64, 0);  // sample evidence is compared exactly, without padding
  auto r = SampleVerifier().verify(sampleEvidence(padded), expect());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, VerifyReason::kReportDataMismatch);
  EXPECT_THAT(r.error().message, HasSubstr("(64 bytes), expected"));
}

TEST(SampleVerifier, RejectsMalformedEvidence) {
  const json::Json cases[] = {
      json::Json::array(),
      {{"svn", 1}, {"report_data", base64Encode(kReportData)}},
      {{"svn", "1"}},
      {{"svn", "1"}, {"report_data", "not base64"}},
      {{"svn", "1"}, {"report_data", base64Encode(kReportData)}, {"x", 1}},
  };
  for (const json::Json& ev : cases) {
    auto r = SampleVerifier().verify(ev, expect());
    ASSERT_FALSE(r) << ev.dump();
    EXPECT_EQ(r.error().reason, VerifyReason::kMalformedEvidence) << ev.dump();
  }
}

}  // namespace
}  // namespace cocoon::verify::sample
