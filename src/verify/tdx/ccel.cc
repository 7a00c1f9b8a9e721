// SPDX-License-Identifier: Apache-2.0
// CCEL parsing (PC Client PFP §10.2), RTMR replay and the trustee-compatible event claims.
#include "verify/tdx/ccel.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "common/byte_reader.h"
#include "common/encoding.h"
#include "crypto/digest.h"

namespace cocoon::verify::tdx {
namespace {

constexpr std::size_t kSha1Size = 20;
constexpr std::size_t kSha384Size = 48;
constexpr std::size_t kMaxAlgorithms = 8;
constexpr std::size_t kMaxDigestSize = 64;
constexpr std::string_view kSpecIdSignature("Spec ID Event03\0", 16);

struct AlgSize {
  std::uint16_t alg;
  std::uint16_t size;
};

// §10.2.1 TCG_PCR_EVENT with the §10.4.5.1 TCG_EfiSpecIDEvent.
Result<std::vector<AlgSize>> readSpecIdHeader(ByteReader& in) {
  COCOON_ASSIGN_OR_RETURN(std::uint32_t index, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t type, in.readU32Le());
  COCOON_TRY(in.skip(kSha1Size));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(ByteReader ev, in.subReader(size));
  // TDVF writes the header with MR index 1 (CCEL_data_ovmf), TD-shim with 0: only the type
  // is checked.
  if (type != kEvNoAction) {
    return fail(Code::kInvalidArgument,
                "CCEL header (index {}) has type {:#x}, expected EV_NO_ACTION", index, type);
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan sig, ev.readSpan(kSpecIdSignature.size()));
  if (!std::equal(sig.begin(), sig.end(), kSpecIdSignature.begin())) {
    return fail(Code::kInvalidArgument, "CCEL header is not 'Spec ID Event03'");
  }
  COCOON_TRY(ev.skip(4 + 1 + 1 + 1 + 1));  // platformClass, spec version, errata, uintnSize
  COCOON_ASSIGN_OR_RETURN(std::uint32_t count, ev.readU32Le());
  if (count == 0 || count > kMaxAlgorithms) {
    return fail(Code::kInvalidArgument, "CCEL header declares {} digest algorithms, expected 1..{}",
                count, kMaxAlgorithms);
  }
  std::vector<AlgSize> algs;
  for (std::uint32_t i = 0; i < count; ++i) {
    AlgSize a{};
    COCOON_ASSIGN_OR_RETURN(a.alg, ev.readU16Le());
    COCOON_ASSIGN_OR_RETURN(a.size, ev.readU16Le());
    if (a.size > kMaxDigestSize) {
      return fail(Code::kInvalidArgument, "CCEL header: algorithm {:#06x} digest size {} above {}",
                  a.alg, a.size, kMaxDigestSize);
    }
    algs.push_back(a);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint8_t vendor_size, ev.readU8());
  COCOON_TRY(ev.skip(vendor_size));
  COCOON_TRY(ev.expectEnd());
  return algs;
}

// True when the next 8 bytes (index and type) are all zero or all 0xff, or fewer remain
// and they are: the unused tail of the ACPI area.
bool atEndMarker(const ByteReader& in, ByteSpan area) {
  const ByteSpan next = area.subspan(in.offset(), std::min<std::size_t>(8, in.remaining()));
  return std::all_of(next.begin(), next.end(), [](std::uint8_t b) { return b == 0; }) ||
         std::all_of(next.begin(), next.end(), [](std::uint8_t b) { return b == 0xff; });
}

Result<CcelEvent> readEvent(ByteReader& in, const std::vector<AlgSize>& algs) {
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
    const auto known =
        std::find_if(algs.begin(), algs.end(), [&](const AlgSize& a) { return a.alg == d.alg; });
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

std::string_view eventTypeName(std::uint32_t type) {
  static constexpr std::pair<std::uint32_t, std::string_view> kNames[] = {
      {0x0, "EV_PREBOOT_CERT"},
      {0x1, "EV_POST_CODE"},
      {0x2, "EV_UNUSED"},
      {0x3, "EV_NO_ACTION"},
      {0x4, "EV_SEPARATOR"},
      {0x5, "EV_ACTION"},
      {0x6, "EV_EVENT_TAG"},
      {0x7, "EV_S_CRTM_CONTENTS"},
      {0x8, "EV_S_CRTM_VERSION"},
      {0x9, "EV_CPU_MICROCODE"},
      {0xa, "EV_PLATFORM_CONFIG_FLAGS"},
      {0xb, "EV_TABLE_OF_DEVICES"},
      {0xc, "EV_COMPACT_HASH"},
      {0xd, "EV_IPL"},
      {0xe, "EV_IPL_PARTITION_DATA"},
      {0xf, "EV_NONHOST_CODE"},
      {0x10, "EV_NONHOST_CONFIG"},
      {0x11, "EV_NONHOST_INFO"},
      {0x12, "EV_OMIT_BOOT_DEVICE_EVENTS"},
      {0x80000000, "EV_EFI_EVENT_BASE"},
      {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
      {0x80000002, "EV_EFI_VARIABLE_BOOT"},
      {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
      {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
      {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
      {0x80000006, "EV_EFI_GPT_EVENT"},
      {0x80000007, "EV_EFI_ACTION"},
      {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
      {0x80000009, "EV_EFI_HANDOFF_TABLES"},
      {0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
      {0x8000000b, "EV_EFI_HANDOFF_TABLES2"},
      {0x8000000c, "EV_EFI_VARIABLE_BOOT2"},
      {0x80000010, "EV_EFI_HCRTM_EVENT"},
      {0x800000e0, "EV_EFI_VARIABLE_AUTHORITY"},
      {0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
      {0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
  };
  for (const auto& [value, name] : kNames) {
    if (value == type) {
      return name;
    }
  }
  return "EV_UNKNOWN";
}

std::string_view algName(std::uint16_t alg) {
  switch (alg) {
    case 0x0004:
      return "SHA-1";
    case 0x000b:
      return "SHA-256";
    case kTpmAlgSha384:
      return "SHA-384";
    case 0x000d:
      return "SHA-512";
    case 0x0012:
      return "SM3";
    default:
      return "UNKNOWN";
  }
}

// Text up to the first NUL, or nullopt when it is not valid UTF-8 (json would refuse it).
std::optional<std::string> utf8Text(ByteSpan data, bool stop_at_nul) {
  if (stop_at_nul) {
    data =
        data.first(static_cast<std::size_t>(std::find(data.begin(), data.end(), 0) - data.begin()));
  }
  std::string text = toString(data);
  if (!json::canonicalize(json::Json(text))) {  // fails exactly for ill-formed UTF-8
    return std::nullopt;
  }
  return text;
}

// The text form of an event's data, for the types whose data is (mostly) text.
std::optional<std::string> eventText(const CcelEvent& e) {
  switch (e.type) {
    case 0x1:           // EV_POST_CODE
    case 0x5:           // EV_ACTION
    case 0xc:           // EV_COMPACT_HASH
    case 0x12:          // EV_OMIT_BOOT_DEVICE_EVENTS
    case 0x80000007: {  // EV_EFI_ACTION
      return utf8Text(e.data, false);
    }
    case 0xa: {  // EV_PLATFORM_CONFIG_FLAGS: TD-shim's "td_payload_info\0...\x10..." form
      auto text = utf8Text(e.data, false);
      std::string out;
      for (char c : text.value_or("")) {
        if (c == '\x10') {
          out += ' ';
        } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
          out += c;
        }
      }
      return out;
    }
    case 0xd:  // EV_IPL
      return utf8Text(e.data, true);
    case 0x8000000a:    // EV_EFI_PLATFORM_FIRMWARE_BLOB2
    case 0x8000000b: {  // EV_EFI_HANDOFF_TABLES2: a one-byte length, then the description
      if (e.data.empty() || e.data[0] == 0 || e.data[0] > e.data.size()) {
        return std::nullopt;
      }
      return utf8Text(ByteSpan(e.data).subspan(1, e.data[0] - 1u), false);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

Result<CcelLog> parseCcel(ByteSpan area) {
  if (area.size() > kMaxCcelSize) {
    return fail(Code::kInvalidArgument, "CCEL has {} bytes, the limit is {}", area.size(),
                kMaxCcelSize);
  }
  ByteReader in(area);
  COCOON_ASSIGN_OR_RETURN(std::vector<AlgSize> algs, readSpecIdHeader(in));
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

json::Json ccelEventsJson(const CcelLog& log) {
  json::Json out = json::Json::array();
  for (const CcelEvent& e : log.events) {
    json::Json digests = json::Json::array();
    bool matches = true;
    for (const CcelDigest& d : e.digests) {
      digests.push_back({{"alg", algName(d.alg)}, {"digest", hexEncode(d.digest)}});
      if (d.alg == kTpmAlgSha384) {
        matches = matches && crypto::sha384(e.data) == d.digest;
      } else if (d.alg == 0x000b) {
        matches = matches && crypto::sha256(e.data) == d.digest;
      }
    }
    json::Json details = json::Json::object();
    if (auto text = eventText(e)) {
      details["string"] = *text;
    }
    out.push_back({{"details", std::move(details)},
                   {"digest_matches_event", matches},
                   {"digests", std::move(digests)},
                   {"event", base64Encode(e.data)},
                   {"index", e.index},
                   {"type_name", eventTypeName(e.type)}});
  }
  return out;
}

}  // namespace cocoon::verify::tdx
