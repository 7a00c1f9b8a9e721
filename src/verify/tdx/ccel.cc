// SPDX-License-Identifier: Apache-2.0
// CCEL parsing (PC Client PFP §10.2) and RTMR replay.
#include "verify/tdx/ccel.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "common/byte_reader.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "verify/internal/spec_id_event.h"

namespace cocoon::verify::tdx {
namespace {

constexpr std::size_t kSha384Size = 48;

// True when the next 8 bytes (index and type) are all zero or all 0xff, or fewer remain
// and they are: the unused tail of the ACPI area.
bool atEndMarker(const ByteReader& in, ByteSpan area) {
  const ByteSpan next = area.subspan(in.offset(), std::min<std::size_t>(8, in.remaining()));
  return std::all_of(next.begin(), next.end(), [](std::uint8_t b) { return b == 0; }) ||
         std::all_of(next.begin(), next.end(), [](std::uint8_t b) { return b == 0xff; });
}

Result<CcelEvent> readEvent(ByteReader& in, const std::vector<internal::DigestSize>& algs) {
  const std::size_t at = in.offset();
  CcelEvent e;
  COCOON_ASSIGN_OR_RETURN(e.index, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(e.type, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t count, in.readU32Le());
  if (count == 0 || count > algs.size()) {
    return fail(Code::kInvalidArgument, "CCEL event at offset {} has {} digests, expected 1..{}",
                at, count, algs.size());
  }
  bool has_sha384 = false;
  for (std::uint32_t i = 0; i < count; ++i) {
    CcelDigest d;
    COCOON_ASSIGN_OR_RETURN(d.alg, in.readU16Le());
    const auto known = std::find_if(algs.begin(), algs.end(),
                                    [&](const internal::DigestSize& a) { return a.alg == d.alg; });
    if (known == algs.end()) {
      return fail(Code::kInvalidArgument,
                  "CCEL event at offset {}: digest algorithm {:#06x} is not in the header", at,
                  d.alg);
    }
    COCOON_ASSIGN_OR_RETURN(ByteSpan digest, in.readSpan(known->size));
    d.digest.assign(digest.begin(), digest.end());
    has_sha384 = has_sha384 || (d.alg == kTpmAlgSha384 && digest.size() == kSha384Size);
    e.digests.push_back(std::move(d));
  }
  if (!has_sha384) {
    return fail(Code::kInvalidArgument, "CCEL event at offset {} has no SHA-384 digest", at);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
  if (size > in.remaining()) {
    return fail(Code::kOutOfRange, "CCEL event at offset {} declares {} bytes of data, {} remain",
                at, size, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan data, in.readSpan(size));
  e.data.assign(data.begin(), data.end());
  return e;
}

}  // namespace

Result<CcelLog> parseCcel(ByteSpan area) {
  if (area.size() > kMaxCcelSize) {
    return fail(Code::kInvalidArgument, "CCEL has {} bytes, the limit is {}", area.size(),
                kMaxCcelSize);
  }
  ByteReader in(area);
  COCOON_ASSIGN_OR_RETURN(internal::SpecIdHeader header,
                          internal::readSpecIdHeader(in, "CCEL header"));
  const std::vector<internal::DigestSize>& algs = header.algorithms;
  CcelLog log;
  while (in.remaining() > 0 && !atEndMarker(in, area)) {
    if (log.events.size() == kMaxCcelEvents) {
      return fail(Code::kInvalidArgument, "CCEL has more than {} events", kMaxCcelEvents);
    }
    COCOON_ASSIGN_OR_RETURN(CcelEvent e, readEvent(in, algs));
    log.events.push_back(std::move(e));
  }
  return log;
}

std::array<Bytes, 4> replayRtmrs(const CcelLog& log) {
  std::array<Bytes, 4> rtmr;
  rtmr.fill(Bytes(kSha384Size, 0));
  for (const CcelEvent& e : log.events) {
    if (e.index < 1 || e.index > 4 || e.type == kEvNoAction) {
      continue;
    }
    for (const CcelDigest& d : e.digests) {
      if (d.alg == kTpmAlgSha384) {
        Bytes& r = rtmr[e.index - 1];
        r.insert(r.end(), d.digest.begin(), d.digest.end());
        r = crypto::sha384(r);
      }
    }
  }
  return rtmr;
}

Status matchRtmrs(const CcelLog& log, const std::array<std::array<std::uint8_t, 48>, 4>& quoted) {
  const std::array<Bytes, 4> rtmr = replayRtmrs(log);
  for (std::size_t i = 0; i < rtmr.size(); ++i) {
    if (!std::equal(quoted[i].begin(), quoted[i].end(), rtmr[i].begin(), rtmr[i].end())) {
      return fail(Code::kPermissionDenied,
                  "RTMR{}: replaying the event log gives {}, the quote has {}", i,
                  hexEncode(rtmr[i]), hexEncode(quoted[i]));
    }
  }
  return okStatus();
}

}  // namespace cocoon::verify::tdx
