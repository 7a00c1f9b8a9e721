// SPDX-License-Identifier: Apache-2.0
// Wire names of the KBS protocol's TEE kinds.
#include "kbs_protocol/tee.h"

#include <array>
#include <utility>

namespace cocoon::kbs_protocol {
namespace {

constexpr std::array<std::pair<Tee, std::string_view>, 13> kNames = {{
    {Tee::kSample, "sample"},
    {Tee::kSampleDevice, "sampledevice"},
    {Tee::kTdx, "tdx"},
    {Tee::kSgx, "sgx"},
    {Tee::kSnp, "snp"},
    {Tee::kAzSnpVtpm, "az-snp-vtpm"},
    {Tee::kAzTdxVtpm, "az-tdx-vtpm"},
    {Tee::kCca, "cca"},
    {Tee::kCsv, "csv"},
    {Tee::kHygonDcu, "hygondcu"},
    {Tee::kSe, "se"},
    {Tee::kTpm, "tpm"},
    {Tee::kNvidia, "nvidia"},
}};

}  // namespace

std::string_view teeName(Tee tee) {
  for (const auto& [value, name] : kNames) {
    if (value == tee) {
      return name;
    }
  }
  return "unknown";
}

Result<Tee> parseTee(std::string_view name) {
  for (const auto& [value, wire] : kNames) {
    if (wire == name) {
      return value;
    }
  }
  return fail(Code::kUnimplemented, "tee \"{}\" is not supported", name);
}

}  // namespace cocoon::kbs_protocol
