// SPDX-License-Identifier: Apache-2.0
// VerifyFailure mapping and the verifier registry.
#include "verify/verifier.h"

namespace cocoon::verify {

std::string_view verifyReasonName(VerifyReason reason) {
  switch (reason) {
    case VerifyReason::kMalformedEvidence:
      return "malformed evidence";
    case VerifyReason::kUnsupportedEvidence:
      return "unsupported evidence";
    case VerifyReason::kUntrustedKey:
      return "untrusted key";
    case VerifyReason::kCertificateInvalid:
      return "certificate invalid";
    case VerifyReason::kBadSignature:
      return "bad signature";
    case VerifyReason::kReportDataMismatch:
      return "report_data mismatch";
    case VerifyReason::kInitDataMismatch:
      return "init_data mismatch";
    case VerifyReason::kMeasurementMismatch:
      return "measurement mismatch";
    case VerifyReason::kEventLogMismatch:
      return "event log mismatch";
    case VerifyReason::kTcbOutOfDate:
      return "TCB out of date";
    case VerifyReason::kDisabled:
      return "verifier disabled";
  }
  return "unknown";
}

Error toError(const VerifyFailure& failure) {
  Code code = Code::kPermissionDenied;
  switch (failure.reason) {
    case VerifyReason::kMalformedEvidence:
    case VerifyReason::kUnsupportedEvidence:
      code = Code::kInvalidArgument;
      break;
    case VerifyReason::kDisabled:
      code = Code::kFailedPrecondition;
      break;
    default:
      break;
  }
  return makeError(code, "{}: {}", verifyReasonName(failure.reason), failure.message);
}

Status VerifierRegistry::add(std::unique_ptr<Verifier> verifier) {
  if (find(verifier->tee()) != nullptr) {
    return fail(Code::kAlreadyExists, "a verifier for TEE '{}' is already registered",
                kbs_protocol::teeName(verifier->tee()));
  }
  verifiers_.push_back(std::move(verifier));
  return {};
}

const Verifier* VerifierRegistry::find(kbs_protocol::Tee tee) const {
  for (const auto& v : verifiers_) {
    if (v->tee() == tee) {
      return v.get();
    }
  }
  return nullptr;
}

std::vector<kbs_protocol::Tee> VerifierRegistry::tees() const {
  std::vector<kbs_protocol::Tee> out;
  out.reserve(verifiers_.size());
  for (const auto& v : verifiers_) {
    out.push_back(v->tee());
  }
  return out;
}

}  // namespace cocoon::verify
