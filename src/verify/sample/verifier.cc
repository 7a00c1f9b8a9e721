// SPDX-License-Identifier: Apache-2.0
// The `sample` verifier: shape check, report_data binding, fixed development claims.
#include "verify/sample/verifier.h"

#include "common/encoding.h"

namespace cocoon::verify::sample {
namespace {

unexpected<VerifyFailure> malformed(std::string message) {
  return unexpected<VerifyFailure>(
      VerifyFailure{VerifyReason::kMalformedEvidence, std::move(message)});
}

}  // namespace

Result<VerifiedEvidence, VerifyFailure> SampleVerifier::verify(const json::Json& evidence,
                                                               const Expectations& expected) const {
  if (!evidence.is_object()) {
    return malformed("sample evidence is not a JSON object");
  }
  for (const auto& [key, value] : evidence.items()) {
    if (key != "svn" && key != "report_data") {
      return malformed(fmt::format("sample evidence has unknown member '{}'", key));
    }
  }
  auto svn = json::getString(evidence, "svn");
  if (!svn) {
    return malformed(svn.error().message);
  }
  auto report_data_b64 = json::getString(evidence, "report_data");
  if (!report_data_b64) {
    return malformed(report_data_b64.error().message);
  }
  auto report_data = base64Decode(*report_data_b64);
  if (!report_data) {
    return malformed("report_data: " + report_data.error().message);
  }
  if (*report_data != expected.report_data) {
    return unexpected<VerifyFailure>(
        VerifyFailure{VerifyReason::kReportDataMismatch,
                      fmt::format("report_data is {} ({} bytes), expected {} ({} bytes)",
                                  hexEncode(*report_data), report_data->size(),
                                  hexEncode(expected.report_data), expected.report_data.size())});
  }
  VerifiedEvidence out{kbs_protocol::Tee::kSample, json::Json::object(), true};
  out.claims["svn"] = *svn;
  out.claims["report_data"] = hexEncode(*report_data);
  if (expected.init_data_digest) {
    out.claims["init_data"] = hexEncode(*expected.init_data_digest);
  }
  // The fixed claims trustee's sample verifier emits, so policies written for it apply.
  out.claims["launch_digest"] = "abcde";
  out.claims["platform_version"] = {{"major", 1}, {"minor", 4}};
  out.claims["debug"] = false;
  return out;
}

}  // namespace cocoon::verify::sample
