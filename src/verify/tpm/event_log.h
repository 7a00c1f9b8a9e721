// SPDX-License-Identifier: Apache-2.0
// TCG PC Client crypto-agile event log (TCG PC Client Platform Firmware Profile v1.05, §10):
// parsing and replay of the SHA-256 bank.
//
// Trust: the log comes from the guest and proves nothing by itself; only a replay that
// reproduces PCR values which a verified quote covers makes its events meaningful.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::verify::tpm {

inline constexpr std::uint32_t kEvNoAction = 0x00000003;
inline constexpr std::size_t kMaxLogEvents = 10000;

// The SHA-256 PCR values a log reproduces: `pcrs[i]` is set for every PCR the log
// extends at least once (PCRs it never touches stay nullopt and are not judged).
struct EventLogReplay {
  std::array<std::optional<Bytes>, 24> pcrs;
  std::size_t events = 0;
};

// Parses `log` (a TCG_PCR_EVENT Spec ID Event03 header, then TCG_PCR_EVENT2 records,
// little-endian) and replays each event's SHA-256 digest into its PCR. Initial values
// follow PC Client: zero, except PCRs 17-22 (all ones) and PCR 0 (its last byte is the
// locality of an EV_NO_ACTION "StartupLocality" event). EV_NO_ACTION events are not
// extended (§10.4.5).
// Errors: kOutOfRange when a record is truncated; kInvalidArgument for a header that is
// not Spec ID Event03, a digest algorithm the header does not declare, an event without
// a SHA-256 digest, a PCR index above 23, more than kMaxLogEvents events, or a
// declared size that does not fit.
Result<EventLogReplay> replayEventLog(ByteSpan log);

}  // namespace cocoon::verify::tpm
