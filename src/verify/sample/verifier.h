// SPDX-License-Identifier: Apache-2.0
// The `sample` TEE verifier: checks only the report_data binding of CoCo's sample evidence.
//
// Trust: sample evidence is unsigned JSON the guest writes freely; it proves nothing about
// the guest, so the result is always marked development_only.
#pragma once

#include "verify/verifier.h"

namespace cocoon::verify::sample {

// Evidence (guest-components attester/src/sample): {"svn": "<string>", "report_data":
// "<standard base64 of the report data>"}; other members are refused.
// verify() fails with kMalformedEvidence when the shape is wrong and kReportDataMismatch
// when report_data is not exactly Expectations::report_data (no padding, as upstream).
// Claims: svn, report_data (hex), init_data (hex of the expected init-data digest, not
// verified: the sample TEE cannot measure it), and upstream's fixed sample claims
// launch_digest, platform_version and debug. Stateless and thread-safe.
class SampleVerifier final : public Verifier {
 public:
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kSample; }
  Result<VerifiedEvidence, VerifyFailure> verify(const json::Json& evidence,
                                                 const Expectations& expected) const override;
};

}  // namespace cocoon::verify::sample
