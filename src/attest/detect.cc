// SPDX-License-Identifier: Apache-2.0
// detectTee(): which TEE interface this guest has.
#include "attest/device/configfs_tsm.h"
#include "attest/environment.h"

namespace cocoon::attest {

std::string_view teeInterfaceName(TeeInterface via) {
  switch (via) {
    case TeeInterface::kConfigfsTsm:
      return "configfs-tsm";
    case TeeInterface::kDevice:
      return "device";
    case TeeInterface::kTpm:
      return "tpm";
    case TeeInterface::kSample:
      return "sample";
  }
  return "unknown";
}

Result<DetectedTee> detectTee(const TeeEnvironment& env, bool allow_sample) {
  auto provider = device::readTsmProvider(env);
  if (provider) {
    if (*provider == "sev_guest") {
      return DetectedTee{kbs_protocol::Tee::kSnp, TeeInterface::kConfigfsTsm};
    }
    if (*provider == "tdx_guest") {
      return DetectedTee{kbs_protocol::Tee::kTdx, TeeInterface::kConfigfsTsm};
    }
  } else if (provider.error().code != Code::kNotFound) {
    return fail(std::move(provider).error());
  }
  std::error_code ec;
  if (std::filesystem::exists(env.sevGuestDevice(), ec)) {
    return DetectedTee{kbs_protocol::Tee::kSnp, TeeInterface::kDevice};
  }
  if (std::filesystem::exists(env.tdxGuestDevice(), ec)) {
    return DetectedTee{kbs_protocol::Tee::kTdx, TeeInterface::kDevice};
  }
  if (std::filesystem::exists(env.tpmDevice(), ec)) {
    return DetectedTee{kbs_protocol::Tee::kTpm, TeeInterface::kTpm};
  }
  if (allow_sample) {
    return DetectedTee{kbs_protocol::Tee::kSample, TeeInterface::kSample};
  }
  return fail(Code::kNotFound,
              "no TEE found (looked at {}, {}, {}, {}) and the sample TEE is not enabled",
              env.tsmReportDir().string(), env.sevGuestDevice().string(),
              env.tdxGuestDevice().string(), env.tpmDevice().string());
}

}  // namespace cocoon::attest
