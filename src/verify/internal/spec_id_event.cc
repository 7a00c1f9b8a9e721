// SPDX-License-Identifier: Apache-2.0
// Spec ID header parsing shared by the TPM event log and the TDX CCEL.
#include "verify/internal/spec_id_event.h"

#include <algorithm>

namespace cocoon::verify::internal {
namespace {

constexpr std::uint32_t kEvNoAction = 0x00000003;
constexpr std::size_t kSha1Size = 20;
constexpr std::size_t kMaxAlgorithms = 8;
constexpr std::size_t kMaxDigestSize = 64;  // sizeof(TPMU_HA)
constexpr std::string_view kSpecIdSignature("Spec ID Event03\0", 16);

}  // namespace

Result<SpecIdHeader> readSpecIdHeader(ByteReader& in, std::string_view log_name) {
  SpecIdHeader header;
  COCOON_ASSIGN_OR_RETURN(header.index, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t type, in.readU32Le());
  COCOON_TRY(in.skip(kSha1Size));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(ByteReader ev, in.subReader(size));
  if (type != kEvNoAction) {
    return fail(Code::kInvalidArgument, "{} (index {}) has type {:#x}, expected EV_NO_ACTION",
                log_name, header.index, type);
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan sig, ev.readSpan(kSpecIdSignature.size()));
  if (!std::equal(sig.begin(), sig.end(), kSpecIdSignature.begin())) {
    return fail(Code::kInvalidArgument, "{} is not 'Spec ID Event03'", log_name);
  }
  COCOON_TRY(ev.skip(4 + 1 + 1 + 1 + 1));  // platformClass, spec version, errata, uintnSize
  COCOON_ASSIGN_OR_RETURN(std::uint32_t count, ev.readU32Le());
  if (count == 0 || count > kMaxAlgorithms) {
    return fail(Code::kInvalidArgument, "{} declares {} digest algorithms, expected 1..{}",
                log_name, count, kMaxAlgorithms);
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    DigestSize a{};
    COCOON_ASSIGN_OR_RETURN(a.alg, ev.readU16Le());
    COCOON_ASSIGN_OR_RETURN(a.size, ev.readU16Le());
    if (a.size > kMaxDigestSize) {
      return fail(Code::kInvalidArgument, "{}: algorithm {:#06x} digest size {} above {}", log_name,
                  a.alg, a.size, kMaxDigestSize);
    }
    header.algorithms.push_back(a);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint8_t vendor_size, ev.readU8());
  COCOON_TRY(ev.skip(vendor_size));
  COCOON_TRY(ev.expectEnd());
  return header;
}

}  // namespace cocoon::verify::internal
