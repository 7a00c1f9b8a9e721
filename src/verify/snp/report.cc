// SPDX-License-Identifier: Apache-2.0
// ATTESTATION_REPORT and GHCB certificate table parsing, field by field (SNP ABI Table 23).
#include "verify/snp/report.h"

#include <algorithm>

#include "common/byte_reader.h"
#include "common/encoding.h"

namespace cocoon::verify::snp {
namespace {

// SNP GHCB spec, certificate table GUIDs.
struct KnownGuid {
  std::string_view guid;
  CertKind kind;
};
constexpr KnownGuid kGuids[] = {
    {"c0b406a4-a803-4952-9743-3fb6014cd0ae", CertKind::kArk},
    {"4ab7b379-bbac-4fe4-a02f-05aef327c782", CertKind::kAsk},
    {"63da758d-e664-4564-adc5-f4b93be8accd", CertKind::kVcek},
    {"a8074bc2-a25a-483e-aae6-39c045a0b8a1", CertKind::kVlek},
};

constexpr std::size_t kCertEntrySize = 24;

std::string guidText(ByteSpan g) {
  const std::string hex = hexEncode(g);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

}  // namespace

std::string_view productName(Product product) {
  switch (product) {
    case Product::kMilan:
      return "Milan";
    case Product::kGenoa:
      return "Genoa";
    case Product::kTurin:
      return "Turin";
  }
  return "unknown";
}

std::optional<Product> productFromName(std::string_view name) {
  for (Product p : {Product::kMilan, Product::kGenoa, Product::kTurin}) {
    if (productName(p) == name) {
      return p;
    }
  }
  return std::nullopt;
}

std::optional<Product> productFromCpuid(std::uint8_t family, std::uint8_t model) {
  if (family == 0x19) {
    if (model <= 0x0F) {
      return Product::kMilan;
    }
    if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)) {
      return Product::kGenoa;
    }
  }
  if (family == 0x1A && model <= 0x11) {
    return Product::kTurin;
  }
  return std::nullopt;
}

TcbVersion decodeTcb(const std::array<std::uint8_t, 8>& raw, Product product) {
  TcbVersion tcb;
  if (product == Product::kTurin) {
    tcb.fmc = raw[0];
    tcb.bootloader = raw[1];
    tcb.tee = raw[2];
    tcb.snp = raw[3];
  } else {
    tcb.bootloader = raw[0];
    tcb.tee = raw[1];
    tcb.snp = raw[6];
  }
  tcb.microcode = raw[7];
  return tcb;
}

std::array<std::uint8_t, 8> encodeTcb(const TcbVersion& tcb, Product product) {
  std::array<std::uint8_t, 8> raw{};
  if (product == Product::kTurin) {
    raw[0] = tcb.fmc.value_or(0);
    raw[1] = tcb.bootloader;
    raw[2] = tcb.tee;
    raw[3] = tcb.snp;
  } else {
    raw[0] = tcb.bootloader;
    raw[1] = tcb.tee;
    raw[6] = tcb.snp;
  }
  raw[7] = tcb.microcode;
  return raw;
}

std::string tcbPrefix(const TcbVersion& tcb) {
  std::string out = fmt::format("bl{:02}_tee{:02}_snp{:02}_ucode{:02}", tcb.bootloader, tcb.tee,
                                tcb.snp, tcb.microcode);
  if (tcb.fmc) {
    out += fmt::format("_fmc{:02}", *tcb.fmc);
  }
  return out;
}

std::optional<Product> SnpReport::product() const {
  if (!cpuid_fam_id || !cpuid_mod_id) {
    return std::nullopt;
  }
  return productFromCpuid(*cpuid_fam_id, *cpuid_mod_id);
}

Result<SnpReport> parseSnpReport(ByteSpan bytes) {
  if (bytes.size() != kReportSize) {
    return fail(Code::kInvalidArgument, "SNP report has {} bytes, expected {}", bytes.size(),
                kReportSize);
  }
  ByteReader in(bytes);
  SnpReport r;
  COCOON_ASSIGN_OR_RETURN(r.version, in.readU32Le());
  if (r.version != 2 && r.version != 3 && r.version != 5) {
    return fail(Code::kUnimplemented, "SNP report version {} at offset 0, expected 2, 3 or 5",
                r.version);
  }
  COCOON_ASSIGN_OR_RETURN(r.guest_svn, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(r.policy, in.readU64Le());
  COCOON_TRY(in.readArray(r.family_id));
  COCOON_TRY(in.readArray(r.image_id));
  COCOON_ASSIGN_OR_RETURN(r.vmpl, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(r.signature_algo, in.readU32Le());
  COCOON_TRY(in.readArray(r.current_tcb));
  COCOON_ASSIGN_OR_RETURN(r.platform_info, in.readU64Le());
  COCOON_ASSIGN_OR_RETURN(r.key_info, in.readU32Le());
  COCOON_TRY(in.skip(4));
  COCOON_TRY(in.readArray(r.report_data));
  COCOON_TRY(in.readArray(r.measurement));
  COCOON_TRY(in.readArray(r.host_data));
  COCOON_TRY(in.readArray(r.id_key_digest));
  COCOON_TRY(in.readArray(r.author_key_digest));
  COCOON_TRY(in.readArray(r.report_id));
  COCOON_TRY(in.readArray(r.report_id_ma));
  COCOON_TRY(in.readArray(r.reported_tcb));
  if (r.version >= 3) {
    COCOON_ASSIGN_OR_RETURN(r.cpuid_fam_id, in.readU8());
    COCOON_ASSIGN_OR_RETURN(r.cpuid_mod_id, in.readU8());
    COCOON_ASSIGN_OR_RETURN(r.cpuid_step, in.readU8());
    COCOON_TRY(in.skip(21));
  } else {
    COCOON_TRY(in.skip(24));
  }
  COCOON_TRY(in.readArray(r.chip_id));
  COCOON_TRY(in.readArray(r.committed_tcb));
  COCOON_ASSIGN_OR_RETURN(r.current_build, in.readU8());
  COCOON_ASSIGN_OR_RETURN(r.current_minor, in.readU8());
  COCOON_ASSIGN_OR_RETURN(r.current_major, in.readU8());
  COCOON_TRY(in.skip(1));
  COCOON_ASSIGN_OR_RETURN(r.committed_build, in.readU8());
  COCOON_ASSIGN_OR_RETURN(r.committed_minor, in.readU8());
  COCOON_ASSIGN_OR_RETURN(r.committed_major, in.readU8());
  COCOON_TRY(in.skip(1));
  COCOON_TRY(in.readArray(r.launch_tcb));
  if (r.version >= 5) {
    COCOON_ASSIGN_OR_RETURN(r.launch_mit_vector, in.readU64Le());
    COCOON_ASSIGN_OR_RETURN(r.current_mit_vector, in.readU64Le());
  }
  COCOON_TRY(in.skip(kSignedSize - in.offset()));
  COCOON_TRY(in.readArray(r.signature_r));
  COCOON_TRY(in.readArray(r.signature_s));
  COCOON_TRY(in.skip(in.remaining()));  // SIGNATURE reserved bytes
  return r;
}

Bytes serializeSnpReport(const SnpReport& r) {
  Bytes out;
  out.reserve(kReportSize);
  auto put = [&out](std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  };
  auto bytes = [&out](const auto& a) { out.insert(out.end(), a.begin(), a.end()); };
  put(r.version, 4);
  put(r.guest_svn, 4);
  put(r.policy, 8);
  bytes(r.family_id);
  bytes(r.image_id);
  put(r.vmpl, 4);
  put(r.signature_algo, 4);
  bytes(r.current_tcb);
  put(r.platform_info, 8);
  put(r.key_info, 4);
  put(0, 4);
  bytes(r.report_data);
  bytes(r.measurement);
  bytes(r.host_data);
  bytes(r.id_key_digest);
  bytes(r.author_key_digest);
  bytes(r.report_id);
  bytes(r.report_id_ma);
  bytes(r.reported_tcb);
  if (r.version >= 3) {
    put(r.cpuid_fam_id.value_or(0), 1);
    put(r.cpuid_mod_id.value_or(0), 1);
    put(r.cpuid_step.value_or(0), 1);
    out.resize(out.size() + 21, 0);
  } else {
    out.resize(out.size() + 24, 0);
  }
  bytes(r.chip_id);
  bytes(r.committed_tcb);
  for (std::uint8_t b :
       {r.current_build, r.current_minor, r.current_major, std::uint8_t{0}, r.committed_build,
        r.committed_minor, r.committed_major, std::uint8_t{0}}) {
    out.push_back(b);
  }
  bytes(r.launch_tcb);
  if (r.version >= 5) {
    put(r.launch_mit_vector.value_or(0), 8);
    put(r.current_mit_vector.value_or(0), 8);
  }
  out.resize(kSignedSize, 0);
  bytes(r.signature_r);
  bytes(r.signature_s);
  out.resize(kReportSize, 0);
  return out;
}

Bytes signatureRaw(const SnpReport& report) {
  // P-384 components occupy the low 48 of the 72 little-endian bytes.
  constexpr std::size_t kField = 48;
  Bytes raw(2 * kField);
  std::reverse_copy(report.signature_r.begin(), report.signature_r.begin() + kField, raw.begin());
  std::reverse_copy(report.signature_s.begin(), report.signature_s.begin() + kField,
                    raw.begin() + kField);
  return raw;
}

CertKind certKindFromGuid(std::string_view guid) {
  const std::string g = lower(guid);
  for (const KnownGuid& k : kGuids) {
    if (k.guid == g) {
      return k.kind;
    }
  }
  return CertKind::kOther;
}

Result<std::vector<CertEntry>> parseCertTable(ByteSpan table) {
  ByteReader in(table);
  std::vector<CertEntry> out;
  while (true) {
    const std::size_t at = in.offset();
    if (in.remaining() < kCertEntrySize) {
      return fail(Code::kInvalidArgument,
                  "certificate table: entry at offset {} needs {} bytes, {} left (no all-zero "
                  "terminator)",
                  at, kCertEntrySize, in.remaining());
    }
    COCOON_ASSIGN_OR_RETURN(ByteSpan guid, in.readSpan(16));
    COCOON_ASSIGN_OR_RETURN(std::uint32_t offset, in.readU32Le());
    COCOON_ASSIGN_OR_RETURN(std::uint32_t length, in.readU32Le());
    const bool zero_guid = std::all_of(guid.begin(), guid.end(), [](auto b) { return b == 0; });
    if (zero_guid && offset == 0 && length == 0) {
      return out;
    }
    if (out.size() == kMaxCertEntries) {
      return fail(Code::kInvalidArgument,
                  "certificate table: more than {} entries before the terminator", kMaxCertEntries);
    }
    // Compare with the table size without computing offset + length in 32 bits.
    if (length == 0 || offset > table.size() || length > table.size() - offset) {
      return fail(Code::kInvalidArgument,
                  "certificate table: entry {} (offset {}) declares bytes {}..+{}, the table "
                  "has {}",
                  out.size(), at, offset, length, table.size());
    }
    CertEntry entry;
    entry.guid = guidText(guid);
    entry.kind = certKindFromGuid(entry.guid);
    entry.data.assign(table.begin() + offset, table.begin() + offset + length);
    out.push_back(std::move(entry));
  }
}

}  // namespace cocoon::verify::snp
