// SPDX-License-Identifier: Apache-2.0
// Crypto-agile event log parsing and SHA-256 replay (PC Client PFP §10.2, §10.4).
#include "verify/tpm/event_log.h"

#include <algorithm>
#include <string_view>

#include "common/byte_reader.h"
#include "crypto/digest.h"
#include "verify/internal/spec_id_event.h"
#include "verify/tpm/structures.h"

namespace cocoon::verify::tpm {
namespace {

constexpr std::string_view kStartupLocality("StartupLocality\0", 16);

}  // namespace

Result<EventLogReplay> replayEventLog(ByteSpan log) {
  ByteReader in(log);
  COCOON_ASSIGN_OR_RETURN(internal::SpecIdHeader header,
                          internal::readSpecIdHeader(in, "event log header"));
  if (header.index != 0) {
    return fail(Code::kInvalidArgument, "event log header: PCR {}, expected PCR 0", header.index);
  }
  const std::vector<internal::DigestSize>& algs = header.algorithms;
  std::array<Bytes, 24> value;
  for (unsigned i = 0; i < value.size(); ++i) {
    value[i] = Bytes(32, (i >= 17 && i <= 22) ? 0xff : 0x00);
  }
  EventLogReplay out;
  while (in.remaining() > 0) {
    const std::size_t at = in.offset();
    if (++out.events > kMaxLogEvents) {
      return fail(Code::kInvalidArgument, "event log has more than {} events", kMaxLogEvents);
    }
    // §10.2.2 TCG_PCR_EVENT2.
    COCOON_ASSIGN_OR_RETURN(std::uint32_t pcr, in.readU32Le());
    COCOON_ASSIGN_OR_RETURN(std::uint32_t type, in.readU32Le());
    if (pcr >= value.size()) {
      return fail(Code::kInvalidArgument, "event at offset {}: PCR {} above 23", at, pcr);
    }
    COCOON_ASSIGN_OR_RETURN(std::uint32_t count, in.readU32Le());
    if (count > algs.size()) {
      return fail(Code::kInvalidArgument, "event at offset {}: {} digests, header declares {}", at,
                  count, algs.size());
    }
    std::optional<ByteSpan> sha256;
    for (std::uint32_t i = 0; i < count; ++i) {
      COCOON_ASSIGN_OR_RETURN(std::uint16_t alg, in.readU16Le());
      auto known = std::find_if(algs.begin(), algs.end(),
                                [alg](const internal::DigestSize& a) { return a.alg == alg; });
      if (known == algs.end()) {
        return fail(Code::kInvalidArgument, "event at offset {}: digest {} not in the header", at,
                    algName(alg));
      }
      COCOON_ASSIGN_OR_RETURN(ByteSpan digest, in.readSpan(known->size));
      if (alg == kAlgSha256 && digest.size() == 32) {
        sha256 = digest;
      }
    }
    COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
    COCOON_ASSIGN_OR_RETURN(ByteSpan data, in.readSpan(size));
    if (type == kEvNoAction) {
      // §10.4.5.3: the locality from which TPM2_Startup was sent starts PCR 0.
      if (pcr == 0 && data.size() == kStartupLocality.size() + 1 &&
          std::equal(kStartupLocality.begin(), kStartupLocality.end(), data.begin())) {
        value[0].back() = data.back();
      }
      continue;
    }
    if (!sha256) {
      return fail(Code::kInvalidArgument, "event at offset {} has no SHA-256 digest", at);
    }
    Bytes input = value[pcr];
    input.insert(input.end(), sha256->begin(), sha256->end());
    value[pcr] = crypto::sha256(input);
    out.pcrs[pcr] = value[pcr];
  }
  return out;
}

}  // namespace cocoon::verify::tpm
