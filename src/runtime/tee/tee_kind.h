// SPDX-License-Identifier: Apache-2.0
// Names of the TEE kinds as they appear in config files, CLI flags, node labels and
// RuntimeClass names ("snp", "tdx", "sev-es", "sev", "vtpm", "none").
#pragma once

#include <array>
#include <string_view>

#include "common/result.h"
#include "runtime/tee/qemu_tee_config.h"

namespace cocoon::runtime::tee {

// Every kind, best first: the order in which "auto" considers them (none is never
// picked by "auto" and comes last).
inline constexpr std::array<TeeKind, 6> kTeePreference = {
    TeeKind::kSnp, TeeKind::kTdx, TeeKind::kSevEs, TeeKind::kSev, TeeKind::kVtpm, TeeKind::kNone};

// "snp", "tdx", "sev-es", "sev", "vtpm", "none".
std::string_view teeKindName(TeeKind kind);

// The inverse of teeKindName. Errors: kInvalidArgument naming the text and the known names.
Result<TeeKind> parseTeeKind(std::string_view name);

// True for the kinds whose memory the host cannot read (snp, tdx, sev-es, sev).
bool isConfidential(TeeKind kind);

}  // namespace cocoon::runtime::tee
