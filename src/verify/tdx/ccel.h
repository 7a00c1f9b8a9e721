// SPDX-License-Identifier: Apache-2.0
// The confidential-computing event log of a TD (ACPI CCEL table area; TCG PC Client PFP
// §10 crypto-agile format, UEFI 2.10 §38.4 CC measurement register indices): parsing,
// RTMR replay and the claim form of its events.
//
// Trust: the log comes from the guest and proves nothing by itself; its events mean
// something only when the replay reproduces the RTMRs of a verified quote.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "json/json.h"

namespace cocoon::verify::tdx {

inline constexpr std::uint32_t kEvNoAction = 0x00000003;
inline constexpr std::uint16_t kTpmAlgSha384 = 0x000c;
inline constexpr std::size_t kMaxCcelEvents = 10000;
inline constexpr std::size_t kMaxCcelSize = 16 * 1024 * 1024;

struct CcelDigest {
  std::uint16_t alg = 0;  // TPM_ALG_ID
  Bytes digest;
};

// One TCG_PCR_EVENT2 record. `index` is the CC measurement register: 0 = MRTD,
// 1..4 = RTMR0..3 (UEFI §38.4.1 for TDX).
struct CcelEvent {
  std::uint32_t index = 0;
  std::uint32_t type = 0;
  std::vector<CcelDigest> digests;
  Bytes data;
};

struct CcelLog {
  std::vector<CcelEvent> events;  // after the Spec ID header event, in log order
};

// Parses the CCEL area: a TCG_PCR_EVENT "Spec ID Event03" header, then TCG_PCR_EVENT2
// records. The log ends at the end of the buffer or at the first record whose index and
// type read as all-zero or all-one bytes (the unused part of the fixed-size ACPI area).
// Errors: kOutOfRange for a truncated record (the message names its offset); kInvalidArgument
// for a header that is not Spec ID Event03, a digest algorithm the header does not
// declare, an event without a SHA-384 digest, more than kMaxCcelEvents events, or an input
// over kMaxCcelSize.
Result<CcelLog> parseCcel(ByteSpan area);

// RTMR0..3 replayed from the log: each starts at 48 zero bytes and is extended with the
// SHA-384 digest of every event with index 1..4 (RTMR = SHA-384(RTMR || digest)), except
// EV_NO_ACTION events, which PC Client PFP §10.4.5 says are never extended.
std::array<Bytes, 4> replayRtmrs(const CcelLog& log);

// Replays `log` and compares RTMR0..3 with `quoted` (the quote body's rtmr). Fails with
// kPermissionDenied for the first register that differs: "RTMR<n>: replaying the event log
// gives <hex>, the quote has <hex>".
Status matchRtmrs(const CcelLog& log, const std::array<std::array<std::uint8_t, 48>, 4>& quoted);

// The events as trustee's eventlog crate serializes them (the tdx verifier's
// `uefi_event_logs` claim): [{"details":{...}, "digest_matches_event": bool,
// "digests":[{"alg":"SHA-384","digest":hex}], "event": base64 data, "index": n,
// "type_name": "EV_..."}]. `details` decodes text events ("string"), EFI variable events
// (unicode_name, unicode_name_length, variable_data, variable_data_length, variable_name)
// and tagged events (CoCo AAEL entries add "data" and unicode_name "AAEL"); device paths of
// EV_EFI_BOOT_SERVICES_APPLICATION are not decoded (empty details). Data that trustee would
// refuse or replace (invalid UTF-8/UTF-16) gets empty details instead of failing.
json::Json ccelEventsJson(const CcelLog& log);

}  // namespace cocoon::verify::tdx
