// SPDX-License-Identifier: Apache-2.0
// Backend factory and the choice of a TEE kind.
#include "runtime/tee/backend.h"

#include <fmt/format.h>

#include "common/encoding.h"
#include "runtime/tee/backends/backends.h"
#include "runtime/tee/tee_kind.h"

namespace cocoon::runtime::tee {
namespace {

// "snp: /dev/sev is missing; CPU flag sev_snp is missing from /proc/cpuinfo".
std::string failedChecks(const TeeSupport& support) {
  std::string out = fmt::format("{}: ", teeKindName(support.kind));
  bool first = true;
  for (const Check& check : support.checks) {
    if (!check.ok) {
      out += (first ? "" : ", ") + check.what;
      first = false;
    }
  }
  return out;
}

}  // namespace

namespace backends {

std::string initDataKernelParameter(const InitDataDigest& digest) {
  return fmt::format("{}={}:{}", kInitDataKernelParameter, crypto::digestName(digest.algorithm),
                     hexEncode(digest.value));
}

Result<LaunchMeasurement> noMeasurement(TeeKind kind, std::string_view why) {
  return fail(Code::kUnimplemented, "{}: the launch measurement is not predicted ({})",
              teeKindName(kind), why);
}

std::string qemuEscape(std::string_view value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') {
      out += ',';
    }
  }
  return out;
}

}  // namespace backends

crypto::DigestAlgorithm initDataAlgorithm(TeeKind kind) {
  return kind == TeeKind::kTdx ? crypto::DigestAlgorithm::kSha384
                               : crypto::DigestAlgorithm::kSha256;
}

std::unique_ptr<TeeBackend> makeTeeBackend(TeeKind kind, const TeeOptions& options) {
  switch (kind) {
    case TeeKind::kSnp:
      return backends::makeSnpBackend(options);
    case TeeKind::kTdx:
      return backends::makeTdxBackend(options);
    case TeeKind::kSev:
    case TeeKind::kSevEs:
      return backends::makeSevBackend(kind, options);
    case TeeKind::kVtpm:
      return backends::makeVtpmBackend(options);
    case TeeKind::kNone:
      break;
  }
  return backends::makeNoneBackend();
}

Result<TeeKind> chooseTee(std::string_view requested, const HostReport& report) {
  if (requested == "auto") {
    std::string why;
    for (TeeKind kind : kTeePreference) {
      if (kind == TeeKind::kNone) {
        continue;
      }
      const TeeSupport& support = report.support(kind);
      if (support.usable) {
        return kind;
      }
      why += (why.empty() ? "" : "; ") + failedChecks(support);
    }
    return fail(Code::kFailedPrecondition,
                "tee \"auto\": no TEE is usable on this host ({}); ask for tee \"none\" by "
                "name to run without one (development only)",
                why);
  }
  COCOON_ASSIGN_OR_RETURN(TeeKind kind, parseTeeKind(requested));
  const TeeSupport& support = report.support(kind);
  if (!support.usable) {
    return fail(Code::kFailedPrecondition,
                "tee \"{}\" was requested but is not usable on this host ({}); no other TEE is "
                "used instead",
                requested, failedChecks(support));
  }
  return kind;
}

}  // namespace cocoon::runtime::tee
