// SPDX-License-Identifier: Apache-2.0
// A minimal DER walk over the PCK certificate's SGX extension (X.690 TLVs, definite
// lengths only, as DER requires).
#include "verify/tdx/pck.h"

#include <algorithm>
#include <vector>

#include "common/byte_reader.h"

namespace cocoon::verify::tdx {
namespace {

constexpr std::uint8_t kTagInteger = 0x02;
constexpr std::uint8_t kTagOctetString = 0x04;
constexpr std::uint8_t kTagOid = 0x06;
constexpr std::uint8_t kTagEnumerated = 0x0a;
constexpr std::uint8_t kTagSequence = 0x30;

// DER contents of OID 1.2.840.113741.1.13.1; members append one or two arcs below 128.
constexpr std::array<std::uint8_t, 9> kSgxOidPrefix = {0x2a, 0x86, 0x48, 0x86, 0xf8,
                                                       0x4d, 0x01, 0x0d, 0x01};

struct Tlv {
  std::uint8_t tag = 0;
  ByteSpan value;
};

Result<Tlv> readTlv(ByteReader& in) {
  const std::size_t at = in.offset();
  Tlv t;
  COCOON_ASSIGN_OR_RETURN(t.tag, in.readU8());
  COCOON_ASSIGN_OR_RETURN(std::uint8_t first, in.readU8());
  std::size_t len = first;
  if (first & 0x80) {
    const unsigned n = first & 0x7fu;
    if (n == 0 || n > 3) {
      return fail(Code::kInvalidArgument, "SGX extension: DER length form {:#x} at offset {}",
                  first, at + 1);
    }
    len = 0;
    for (unsigned i = 0; i < n; ++i) {
      COCOON_ASSIGN_OR_RETURN(std::uint8_t b, in.readU8());
      len = (len << 8) | b;
    }
  }
  if (len > in.remaining()) {
    return fail(Code::kOutOfRange, "SGX extension: TLV at offset {} declares {} bytes, {} remain",
                at, len, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(t.value, in.readSpan(len));
  return t;
}

Result<Tlv> expectTlv(ByteReader& in, std::uint8_t tag, std::string_view what) {
  COCOON_ASSIGN_OR_RETURN(Tlv t, readTlv(in));
  if (t.tag != tag) {
    return fail(Code::kInvalidArgument, "SGX extension: {} has tag {:#04x}, expected {:#04x}", what,
                t.tag, tag);
  }
  return t;
}

// The arcs below the SGX OID prefix, or empty for an OID outside it.
std::vector<std::uint8_t> subArcs(ByteSpan oid) {
  if (oid.size() <= kSgxOidPrefix.size() ||
      !std::equal(kSgxOidPrefix.begin(), kSgxOidPrefix.end(), oid.begin())) {
    return {};
  }
  return {oid.begin() + kSgxOidPrefix.size(), oid.end()};
}

// A non-negative INTEGER that fits `max`.
Result<std::uint32_t> smallUnsigned(ByteSpan value, std::uint32_t max, std::string_view what) {
  if (value.empty() || value.size() > 5 || (value[0] & 0x80)) {
    return fail(Code::kInvalidArgument, "SGX extension: {} is not a small non-negative INTEGER",
                what);
  }
  std::uint64_t v = 0;
  for (std::uint8_t b : value) {
    v = (v << 8) | b;
  }
  if (v > max) {
    return fail(Code::kInvalidArgument, "SGX extension: {} is {}, above {}", what, v, max);
  }
  return static_cast<std::uint32_t>(v);
}

template <std::size_t N>
Status copyOctets(ByteSpan value, std::array<std::uint8_t, N>& out, std::string_view what) {
  if (value.size() != N) {
    return fail(Code::kInvalidArgument, "SGX extension: {} has {} bytes, expected {}", what,
                value.size(), N);
  }
  std::copy(value.begin(), value.end(), out.begin());
  return okStatus();
}

// The TCB member (arc 2): SEQUENCE of {OID .2.n, value}: n = 1..16 components, 17 PCESVN,
// 18 CPUSVN.
Status readTcb(ByteSpan tcb, PckExtensions& out) {
  ByteReader in(tcb);
  unsigned seen = 0;
  while (in.remaining() > 0) {
    COCOON_ASSIGN_OR_RETURN(Tlv member, expectTlv(in, kTagSequence, "TCB member"));
    ByteReader m(member.value);
    COCOON_ASSIGN_OR_RETURN(Tlv oid, expectTlv(m, kTagOid, "TCB member OID"));
    COCOON_ASSIGN_OR_RETURN(Tlv value, readTlv(m));
    const std::vector<std::uint8_t> arcs = subArcs(oid.value);
    if (arcs.size() != 2 || arcs[0] != 2) {
      continue;
    }
    const unsigned n = arcs[1];
    if (n >= 1 && n <= 16 && value.tag == kTagInteger) {
      COCOON_ASSIGN_OR_RETURN(std::uint32_t svn, smallUnsigned(value.value, 255, "TCB component"));
      out.cpu_svn_components[n - 1] = static_cast<std::uint8_t>(svn);
      seen |= 1u << (n - 1);
    } else if (n == 17 && value.tag == kTagInteger) {
      COCOON_ASSIGN_OR_RETURN(std::uint32_t svn, smallUnsigned(value.value, 0xffff, "PCESVN"));
      out.pce_svn = static_cast<std::uint16_t>(svn);
      seen |= 1u << 16;
    } else if (n == 18 && value.tag == kTagOctetString) {
      COCOON_TRY(copyOctets(value.value, out.cpu_svn, "CPUSVN"));
      seen |= 1u << 17;
    }
  }
  if (seen != (1u << 18) - 1) {
    return fail(Code::kInvalidArgument,
                "SGX extension: TCB lacks members (found mask {:#x}, expected 0x3ffff)", seen);
  }
  return okStatus();
}

}  // namespace

Result<PckExtensions> parsePckExtensions(ByteSpan der) {
  ByteReader outer(der);
  COCOON_ASSIGN_OR_RETURN(Tlv top, expectTlv(outer, kTagSequence, "extension"));
  COCOON_TRY(outer.expectEnd());
  PckExtensions out;
  bool tcb = false, pce_id = false, fmspc = false, sgx_type = false;
  ByteReader in(top.value);
  while (in.remaining() > 0) {
    COCOON_ASSIGN_OR_RETURN(Tlv member, expectTlv(in, kTagSequence, "member"));
    ByteReader m(member.value);
    COCOON_ASSIGN_OR_RETURN(Tlv oid, expectTlv(m, kTagOid, "member OID"));
    COCOON_ASSIGN_OR_RETURN(Tlv value, readTlv(m));
    const std::vector<std::uint8_t> arcs = subArcs(oid.value);
    if (arcs.size() != 1) {
      continue;
    }
    switch (arcs[0]) {
      case 2:
        if (value.tag != kTagSequence) {
          return fail(Code::kInvalidArgument, "SGX extension: TCB is not a SEQUENCE");
        }
        COCOON_TRY(readTcb(value.value, out));
        tcb = true;
        break;
      case 3:
        COCOON_TRY(copyOctets(value.value, out.pce_id, "PCE-ID"));
        pce_id = true;
        break;
      case 4:
        COCOON_TRY(copyOctets(value.value, out.fmspc, "FMSPC"));
        fmspc = true;
        break;
      case 5: {
        if (value.tag != kTagEnumerated) {
          return fail(Code::kInvalidArgument, "SGX extension: SGX type is not ENUMERATED");
        }
        COCOON_ASSIGN_OR_RETURN(std::uint32_t type, smallUnsigned(value.value, 255, "SGX type"));
        out.sgx_type = static_cast<std::uint8_t>(type);
        sgx_type = true;
        break;
      }
      case 6:
        COCOON_TRY(
            copyOctets(value.value, out.platform_instance_id.emplace(), "platform instance ID"));
        break;
      default:
        break;
    }
  }
  for (auto [present, name] : {std::pair{tcb, "TCB"}, std::pair{pce_id, "PCE-ID"},
                               std::pair{fmspc, "FMSPC"}, std::pair{sgx_type, "SGX type"}}) {
    if (!present) {
      return fail(Code::kInvalidArgument, "SGX extension has no {} member", name);
    }
  }
  return out;
}

}  // namespace cocoon::verify::tdx
