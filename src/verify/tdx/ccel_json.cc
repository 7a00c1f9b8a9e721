// SPDX-License-Identifier: Apache-2.0
// The CCEL events as trustee's eventlog crate serializes them (the uefi_event_logs claim).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/byte_reader.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "verify/tdx/ccel.h"

namespace cocoon::verify::tdx {
namespace {

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

// UTF-16LE to UTF-8; nullopt on unpaired surrogates.
std::optional<std::string> utf16Text(ByteSpan bytes) {
  std::string out;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    std::uint32_t c = bytes[i] | static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 3 >= bytes.size()) {
        return std::nullopt;
      }
      const std::uint32_t lo = bytes[i + 2] | static_cast<std::uint32_t>(bytes[i + 3]) << 8;
      if (lo < 0xdc00 || lo > 0xdfff) {
        return std::nullopt;
      }
      c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
      i += 2;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return std::nullopt;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | c >> 6);
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | c >> 12);
      out += static_cast<char>(0x80 | (c >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | c >> 18);
      out += static_cast<char>(0x80 | (c >> 12 & 0x3f));
      out += static_cast<char>(0x80 | (c >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
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
    case 0xd: {  // EV_IPL: GCE's shim logs ".\0" then a NUL-terminated UTF-16LE name
      const ByteSpan d(e.data);
      if (d.size() >= 2 && d[0] == 0x2e && d[1] == 0) {
        if (d.size() < 4 || d.size() % 2 != 0) {
          return std::nullopt;
        }
        return utf16Text(d.subspan(2, d.size() - 4));
      }
      auto text = utf8Text(e.data, true);
      return text ? text : hexEncode(e.data);
    }
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

// Raw GUID bytes in order, grouped 4-2-2-2-6 (trustee prints EFI GUIDs without the
// mixed-endian swap, e.g. EFI_GLOBAL_VARIABLE as 61dfe48b-ca93-d211-aa0d-00e098032b8c).
std::string guidText(ByteSpan g) {
  const std::string h = hexEncode(g);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

// PC Client PFP §10.4.4 UEFI_VARIABLE_DATA: VariableName GUID, UnicodeNameLength,
// VariableDataLength, UnicodeName (CHAR16), VariableData.
std::optional<json::Json> efiVariableDetails(ByteSpan data) {
  ByteReader in(data);
  auto guid = in.readSpan(16);
  auto name_len = in.readU64Le();
  auto data_len = in.readU64Le();
  if (!guid || !name_len || !data_len || *name_len > in.remaining() / 2) {
    return std::nullopt;
  }
  auto name = utf16Text(*in.readSpan(*name_len * 2));
  if (!name || *data_len > in.remaining()) {
    return std::nullopt;
  }
  return json::Json{{"unicode_name", *name},
                    {"unicode_name_length", *name_len},
                    {"variable_data", base64Encode(*in.readSpan(*data_len))},
                    {"variable_data_length", *data_len},
                    {"variable_name", guidText(*guid)}};
}

// §10.4.2 TCG_PCClientTaggedEvent: taggedEventID, taggedEventDataSize, data; CoCo's AAEL
// events (ID "AAEL") carry "<domain> <operation> <content>".
std::optional<json::Json> eventTagDetails(ByteSpan data) {
  constexpr std::uint32_t kAaelTaggedEventId = 0x4141454c;
  ByteReader in(data);
  auto id = in.readU32Le();
  auto size = in.readU32Le();
  if (!id || !size || *size > in.remaining()) {
    return std::nullopt;
  }
  const ByteSpan body = *in.readSpan(*size);
  std::string text = toString(body);
  if (!json::canonicalize(json::Json(text))) {
    return std::nullopt;  // trustee replaces invalid UTF-8; such tags get no details here
  }
  std::string clean = text;
  clean.erase(std::remove(clean.begin(), clean.end(), '\0'), clean.end());
  json::Json details = {{"string", clean}};
  if (*id == kAaelTaggedEventId) {
    const std::size_t first = text.find(' ');
    const std::size_t second = first == std::string::npos ? first : text.find(' ', first + 1);
    if (second == std::string::npos) {
      return std::nullopt;
    }
    const std::string content = text.substr(second + 1);
    auto parsed = json::parseJson(content);
    details["data"] = {{"domain", text.substr(0, first)},
                       {"operation", text.substr(first + 1, second - first - 1)},
                       {"content", parsed ? *parsed : json::Json(content)}};
    details["unicode_name"] = "AAEL";
  }
  return details;
}

// The `details` object of an event.
json::Json eventDetails(const CcelEvent& e) {
  std::optional<json::Json> details;
  switch (e.type) {
    case 0x80000001:  // EV_EFI_VARIABLE_DRIVER_CONFIG
    case 0x80000002:  // EV_EFI_VARIABLE_BOOT
    case 0x8000000c:  // EV_EFI_VARIABLE_BOOT2
    case 0x800000e0:  // EV_EFI_VARIABLE_AUTHORITY
      details = efiVariableDetails(e.data);
      break;
    case 0x6:  // EV_EVENT_TAG
      details = eventTagDetails(e.data);
      break;
    default:
      if (auto text = eventText(e)) {
        details = json::Json{{"string", *text}};
      }
      break;
  }
  return details.value_or(json::Json::object());
}

}  // namespace

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
    out.push_back({{"details", eventDetails(e)},
                   {"digest_matches_event", matches},
                   {"digests", std::move(digests)},
                   {"event", base64Encode(e.data)},
                   {"index", e.index},
                   {"type_name", eventTypeName(e.type)}});
  }
  return out;
}

}  // namespace cocoon::verify::tdx
