// SPDX-License-Identifier: Apache-2.0
// SNP report -> `sev` crate serde JSON, GHCB certificate table, sev-guest ioctl messages.
#include "attest/snp/report.h"

#include <algorithm>

#include "attest/device/byte_writer.h"
#include "common/byte_reader.h"
#include "common/encoding.h"

namespace cocoon::attest::snp {
namespace {

enum class Generation : std::uint8_t { kMilan, kGenoa, kTurin };

bool allZero(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

json::Json byteArray(ByteSpan b) {
  json::Json out = json::Json::array();
  for (std::uint8_t x : b) {
    out.push_back(x);
  }
  return out;
}

// SNP ABI Table 3 (TCB_VERSION); Turin adds FMC and moves the SPLs (ABI 1.58).
json::Json tcbJson(ByteSpan t, Generation generation) {
  if (generation == Generation::kTurin) {
    return {{"fmc", t[0]}, {"bootloader", t[1]}, {"tee", t[2]}, {"snp", t[3]}, {"microcode", t[7]}};
  }
  return {
      {"fmc", nullptr}, {"bootloader", t[0]}, {"tee", t[1]}, {"snp", t[6]}, {"microcode", t[7]}};
}

// The `sev` crate's Generation::identify_cpu table.
Result<Generation> generationOf(ByteSpan report, std::uint32_t version) {
  ByteSpan chip_id = report.subspan(0x1A0, 64);
  if (version == 2) {
    if (allZero(chip_id)) {
      return fail(Code::kInvalidArgument,
                  "SNP report version 2 with a masked chip_id: its generation is unknown");
    }
    return allZero(chip_id.subspan(8)) ? Generation::kTurin : Generation::kGenoa;
  }
  const std::uint8_t family = report[0x188];
  const std::uint8_t model = report[0x189];
  if (family == 0x19 && model <= 0x0F) {
    return Generation::kMilan;
  }
  if (family == 0x19 && (model <= 0x1F || (model >= 0xA0 && model <= 0xAF))) {
    return Generation::kGenoa;
  }
  if (family == 0x1A && model <= 0x11) {
    return Generation::kTurin;
  }
  return fail(Code::kInvalidArgument,
              "SNP report CPUID family {:#x} model {:#x} (offset 0x188) is not a known SEV-SNP "
              "processor",
              family, model);
}

json::Json versionJson(ByteSpan v) {
  return {{"major", v[2]}, {"minor", v[1]}, {"build", v[0]}};
}

}  // namespace

Result<std::vector<CertTableEntry>> parseCertTable(ByteSpan table) {
  ByteReader in(table);
  std::vector<CertTableEntry> entries;
  for (std::size_t index = 0;; ++index) {
    CertTableEntry entry;
    COCOON_TRY(in.readArray(entry.guid));
    COCOON_ASSIGN_OR_RETURN(std::uint32_t offset, in.readU32Le());
    COCOON_ASSIGN_OR_RETURN(std::uint32_t length, in.readU32Le());
    if (allZero(entry.guid)) {
      return entries;
    }
    if (index == kMaxCertTableEntries) {
      return fail(Code::kInvalidArgument, "SNP certificate table has more than {} entries",
                  kMaxCertTableEntries);
    }
    if (offset > table.size() || length > table.size() - offset) {
      return fail(Code::kInvalidArgument,
                  "SNP certificate table entry {}: offset {} length {} outside the {}-byte table",
                  index, offset, length, table.size());
    }
    ByteSpan data = table.subspan(offset, length);
    entry.data.assign(data.begin(), data.end());
    entries.push_back(std::move(entry));
  }
}

json::Json certTypeJson(const std::array<std::uint8_t, 16>& guid) {
  const std::string hex = hexEncode(guid);
  const std::string uuid = fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4),
                                       hex.substr(12, 4), hex.substr(16, 4), hex.substr(20));
  // GHCB spec, "SNP Extended Guest Request": the GUIDs of the certificate table.
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"00000000-0000-0000-0000-000000000000", "Empty"},
      {"c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK"},
      {"4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK"},
      {"63da758d-e664-4564-adc5-f4b93be8accd", "VCEK"},
      {"a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK"},
      {"92f81bc3-5811-4d3d-97ff-d19f88dc67ea", "CRL"},
  };
  for (const auto& [id, name] : kNames) {
    if (id == uuid) {
      return std::string(name);
    }
  }
  return json::Json{{"OTHER", uuid}};
}

Result<json::Json> reportToJson(ByteSpan report) {
  if (report.size() != kReportSize) {
    return fail(Code::kInvalidArgument, "SNP report is {} bytes, expected {}", report.size(),
                kReportSize);
  }
  ByteReader in(report);
  COCOON_ASSIGN_OR_RETURN(std::uint32_t version, in.readU32Le());
  if (version < 2) {
    return fail(Code::kInvalidArgument, "SNP report version {} is not supported (2 or later)",
                version);
  }
  COCOON_ASSIGN_OR_RETURN(Generation generation, generationOf(report, version));
  const bool v3 = version >= 3;
  const bool v5 = version >= 5;
  auto span = [&](std::size_t offset, std::size_t n) { return report.subspan(offset, n); };
  auto u32 = [&](std::size_t offset) {
    ByteReader r(span(offset, 4));
    return *r.readU32Le();
  };
  auto u64 = [&](std::size_t offset) {
    ByteReader r(span(offset, 8));
    return *r.readU64Le();
  };
  // SNP ABI Table 23 offsets.
  json::Json j = {
      {"version", version},
      {"guest_svn", u32(0x04)},
      {"policy", u64(0x08)},
      {"family_id", byteArray(span(0x10, 16))},
      {"image_id", byteArray(span(0x20, 16))},
      {"vmpl", u32(0x30)},
      {"sig_algo", u32(0x34)},
      {"current_tcb", tcbJson(span(0x38, 8), generation)},
      {"plat_info", u64(0x40)},
      {"key_info", u32(0x48)},
      {"report_data", byteArray(span(0x50, 64))},
      {"measurement", byteArray(span(0x90, 48))},
      {"host_data", byteArray(span(0xC0, 32))},
      {"id_key_digest", byteArray(span(0xE0, 48))},
      {"author_key_digest", byteArray(span(0x110, 48))},
      {"report_id", byteArray(span(0x140, 32))},
      {"report_id_ma", byteArray(span(0x160, 32))},
      {"reported_tcb", tcbJson(span(0x180, 8), generation)},
      {"cpuid_fam_id", v3 ? json::Json(report[0x188]) : json::Json(nullptr)},
      {"cpuid_mod_id", v3 ? json::Json(report[0x189]) : json::Json(nullptr)},
      {"cpuid_step", v3 ? json::Json(report[0x18A]) : json::Json(nullptr)},
      {"chip_id", byteArray(span(0x1A0, 64))},
      {"committed_tcb", tcbJson(span(0x1E0, 8), generation)},
      {"current", versionJson(span(0x1E8, 3))},
      {"committed", versionJson(span(0x1EC, 3))},
      {"launch_tcb", tcbJson(span(0x1F0, 8), generation)},
      {"launch_mit_vector", v5 ? json::Json(u64(0x1F8)) : json::Json(nullptr)},
      {"current_mit_vector", v5 ? json::Json(u64(0x200)) : json::Json(nullptr)},
      {"signature", {{"r", byteArray(span(0x2A0, 72))}, {"s", byteArray(span(0x2E8, 72))}}},
  };
  return j;
}

Bytes buildReportRequest(ByteSpan report_data, std::uint32_t vmpl) {
  return device::LeWriter().bytes(report_data).u32(vmpl).zeros(28).take();
}

Result<Bytes> parseReportResponse(ByteSpan response) {
  ByteReader in(response);
  COCOON_ASSIGN_OR_RETURN(std::uint32_t status, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t report_size, in.readU32Le());
  COCOON_TRY(in.skip(24));
  if (status != 0) {
    return fail(Code::kUnavailable, "SNP firmware answered the report request with status {:#x}",
                status);
  }
  if (report_size != kReportSize) {
    return fail(Code::kInvalidArgument, "SNP report response declares {} report bytes, expected {}",
                report_size, kReportSize);
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan report, in.readSpan(report_size));
  return Bytes(report.begin(), report.end());
}

}  // namespace cocoon::attest::snp
