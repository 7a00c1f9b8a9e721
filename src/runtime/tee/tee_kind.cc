// SPDX-License-Identifier: Apache-2.0
// TEE kind names.
#include "runtime/tee/tee_kind.h"

namespace cocoon::runtime::tee {

std::string_view teeKindName(TeeKind kind) {
  switch (kind) {
    case TeeKind::kNone:
      return "none";
    case TeeKind::kVtpm:
      return "vtpm";
    case TeeKind::kSev:
      return "sev";
    case TeeKind::kSevEs:
      return "sev-es";
    case TeeKind::kSnp:
      return "snp";
    case TeeKind::kTdx:
      return "tdx";
  }
  return "unknown";
}

Result<TeeKind> parseTeeKind(std::string_view name) {
  for (TeeKind kind : kTeePreference) {
    if (teeKindName(kind) == name) {
      return kind;
    }
  }
  return fail(Code::kInvalidArgument,
              "unknown TEE \"{}\": expected one of snp, tdx, sev-es, sev, vtpm, none", name);
}

bool isConfidential(TeeKind kind) {
  return kind == TeeKind::kSnp || kind == TeeKind::kTdx || kind == TeeKind::kSevEs ||
         kind == TeeKind::kSev;
}

}  // namespace cocoon::runtime::tee
