// SPDX-License-Identifier: Apache-2.0
// Parser of OVMF's footer GUID table and of the SEV and TDX metadata it points to.
#include "measure/ovmf.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace cocoon::measure {
namespace {

constexpr std::size_t kEntryHeaderSize = 2 + 16;      // u16 length, then the GUID
constexpr std::uint32_t kSevSignature = 0x56455341;   // "ASEV" little-endian
constexpr std::uint32_t kTdvfSignature = 0x46564454;  // "TDVF" little-endian
constexpr std::size_t kMetadataHeaderSize = 16;
constexpr std::size_t kSevSectionSize = 12;
constexpr std::size_t kTdxSectionSize = 32;

// Reads never fail after the explicit range checks below; if one does, the image is
// malformed all the same, so it becomes kInvalidArgument with what was being read.
template <class T>
Result<T> field(Result<T> r, std::string_view what) {
  if (!r) {
    return fail(Code::kInvalidArgument, "truncated firmware reading {}: {}", what,
                r.error().message);
  }
  return r;
}

Result<std::vector<FooterEntry>> parseFooterTable(ByteSpan fw) {
  if (fw.size() < kFooterTableEndFromEnd + kEntryHeaderSize) {
    return fail(Code::kInvalidArgument,
                "firmware of {} bytes is too short for the OVMF footer table (needs {})", fw.size(),
                kFooterTableEndFromEnd + kEntryHeaderSize);
  }
  const std::size_t footer_at = fw.size() - kFooterTableEndFromEnd - kEntryHeaderSize;
  ByteReader footer(fw.subspan(footer_at, kEntryHeaderSize));
  COCOON_ASSIGN_OR_RETURN(std::uint16_t table_length, field(footer.readU16Le(), "footer length"));
  Guid guid{};
  COCOON_TRY(field(footer.readArray(guid), "footer GUID"));
  if (guid != kFooterTableGuid) {
    return fail(Code::kInvalidArgument,
                "no OVMF footer table: expected GUID {} at offset {:#x}, found {}",
                guidToText(kFooterTableGuid), footer_at + 2, guidToText(guid));
  }
  if (table_length < kEntryHeaderSize || table_length - kEntryHeaderSize > footer_at) {
    return fail(Code::kInvalidArgument,
                "OVMF footer table length {} at offset {:#x} does not fit: expected {}..{}",
                table_length, footer_at, kEntryHeaderSize, footer_at + kEntryHeaderSize);
  }
  // Entries are laid out backwards from the footer: each ends with (u16 length, GUID)
  // and its data precedes that header.
  std::vector<FooterEntry> entries;
  std::size_t end = footer_at;
  const std::size_t table_start = footer_at - (table_length - kEntryHeaderSize);
  while (end - table_start >= kEntryHeaderSize) {
    const std::size_t header_at = end - kEntryHeaderSize;
    ByteReader header(fw.subspan(header_at, kEntryHeaderSize));
    COCOON_ASSIGN_OR_RETURN(std::uint16_t length, field(header.readU16Le(), "entry length"));
    FooterEntry entry;
    COCOON_TRY(field(header.readArray(entry.guid), "entry GUID"));
    if (length < kEntryHeaderSize || length > end - table_start) {
      return fail(Code::kInvalidArgument,
                  "OVMF footer entry {} at offset {:#x} has length {}: expected {}..{}",
                  guidToText(entry.guid), header_at, length, kEntryHeaderSize, end - table_start);
    }
    entry.offset = end - length;
    auto data = fw.subspan(entry.offset, length - kEntryHeaderSize);
    entry.data.assign(data.begin(), data.end());
    entries.push_back(std::move(entry));
    end -= length;
  }
  return entries;
}

// The u32 "offset from the end of the image" that the SEV and TDX metadata entries hold,
// turned into a file offset with room for at least `need` bytes.
Result<std::size_t> metadataOffset(ByteSpan fw, const FooterEntry& entry, std::size_t need,
                                   std::string_view what) {
  ByteReader r(entry.data);
  COCOON_ASSIGN_OR_RETURN(std::uint32_t from_end, field(r.readU32Le(), what));
  if (from_end > fw.size() || from_end < need) {
    return fail(Code::kInvalidArgument,
                "{} offset {:#x} (from the end, footer entry at {:#x}) lies outside the "
                "{:#x}-byte firmware",
                what, from_end, entry.offset, fw.size());
  }
  return fw.size() - from_end;
}

// The 16-byte header shared by "ASEV" and "TDVF" metadata: signature, length of the
// whole metadata, version 1, section count; then `count` sections of `section_size`.
struct MetadataHeader {
  std::uint32_t count = 0;
  ByteReader sections;  // over exactly the declared sections
};

Result<MetadataHeader> parseMetadataHeader(ByteSpan fw, std::size_t at, std::uint32_t signature,
                                           std::string_view tee, std::size_t section_size) {
  ByteReader r(fw.subspan(at));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t found, field(r.readU32Le(), "metadata signature"));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t length, field(r.readU32Le(), "metadata length"));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t version, field(r.readU32Le(), "metadata version"));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t count, field(r.readU32Le(), "metadata section count"));
  if (found != signature) {
    std::string expected;
    for (int shift = 0; shift < 32; shift += 8) {
      expected.push_back(static_cast<char>((signature >> shift) & 0xff));
    }
    return fail(Code::kInvalidArgument,
                "{} metadata at offset {:#x}: expected signature \"{}\", found {:#010x}", tee, at,
                expected, found);
  }
  if (version != 1) {
    return fail(Code::kInvalidArgument, "{} metadata at offset {:#x}: version {}, expected 1", tee,
                at, version);
  }
  const std::uint64_t needed = kMetadataHeaderSize + std::uint64_t{count} * section_size;
  if (length < needed || length - kMetadataHeaderSize > r.remaining()) {
    return fail(Code::kInvalidArgument,
                "{} metadata at offset {:#x}: length {} does not hold {} sections ({} bytes) "
                "within the {} bytes left",
                tee, at, length, count, needed, r.remaining() + kMetadataHeaderSize);
  }
  COCOON_ASSIGN_OR_RETURN(ByteReader sections,
                          field(r.subReader(count * section_size), "metadata sections"));
  return MetadataHeader{count, sections};
}

Status parseSevMetadata(ByteSpan fw, const FooterEntry& entry, OvmfImage& image) {
  COCOON_ASSIGN_OR_RETURN(std::size_t at,
                          metadataOffset(fw, entry, kMetadataHeaderSize, "SEV metadata"));
  COCOON_ASSIGN_OR_RETURN(MetadataHeader header,
                          parseMetadataHeader(fw, at, kSevSignature, "SEV", kSevSectionSize));
  ByteReader& r = header.sections;
  const std::uint32_t count = header.count;
  for (std::uint32_t i = 0; i < count; ++i) {
    SevSection s;
    COCOON_ASSIGN_OR_RETURN(s.gpa, field(r.readU32Le(), "SEV section gpa"));
    COCOON_ASSIGN_OR_RETURN(s.size, field(r.readU32Le(), "SEV section size"));
    COCOON_ASSIGN_OR_RETURN(std::uint32_t type, field(r.readU32Le(), "SEV section type"));
    s.type = static_cast<SevSectionType>(type);
    if (sevSectionName(s.type) == "unknown") {
      return fail(Code::kInvalidArgument,
                  "SEV metadata section {} at offset {:#x}: unknown type {}", i,
                  at + kMetadataHeaderSize + i * kSevSectionSize, type);
    }
    image.sev_sections.push_back(s);
  }
  return okStatus();
}

Status parseTdxMetadata(ByteSpan fw, const FooterEntry& entry, OvmfImage& image) {
  COCOON_ASSIGN_OR_RETURN(std::size_t at,
                          metadataOffset(fw, entry, kMetadataHeaderSize, "TDX metadata"));
  if (at < 16) {
    return fail(Code::kInvalidArgument,
                "TDX metadata at offset {:#x} leaves no room for its GUID before it", at);
  }
  Guid guid{};
  ByteReader g(fw.subspan(at - 16, 16));
  COCOON_TRY(field(g.readArray(guid), "TDX metadata GUID"));
  if (guid != kTdxMetadataGuid) {
    return fail(Code::kInvalidArgument,
                "TDX metadata at offset {:#x}: expected GUID {} before it, found {}", at,
                guidToText(kTdxMetadataGuid), guidToText(guid));
  }
  COCOON_ASSIGN_OR_RETURN(MetadataHeader header,
                          parseMetadataHeader(fw, at, kTdvfSignature, "TDX", kTdxSectionSize));
  ByteReader& r = header.sections;
  const std::uint32_t count = header.count;
  for (std::uint32_t i = 0; i < count; ++i) {
    TdxSection s;
    COCOON_ASSIGN_OR_RETURN(s.data_offset, field(r.readU32Le(), "TDVF data offset"));
    COCOON_ASSIGN_OR_RETURN(s.raw_data_size, field(r.readU32Le(), "TDVF raw data size"));
    COCOON_ASSIGN_OR_RETURN(s.memory_address, field(r.readU64Le(), "TDVF memory address"));
    COCOON_ASSIGN_OR_RETURN(s.memory_data_size, field(r.readU64Le(), "TDVF memory size"));
    COCOON_ASSIGN_OR_RETURN(std::uint32_t type, field(r.readU32Le(), "TDVF section type"));
    COCOON_ASSIGN_OR_RETURN(s.attributes, field(r.readU32Le(), "TDVF attributes"));
    s.type = static_cast<TdxSectionType>(type);
    const std::size_t section_at = at + kMetadataHeaderSize + i * kTdxSectionSize;
    if (type > static_cast<std::uint32_t>(TdxSectionType::kTdParams)) {
      return fail(Code::kInvalidArgument, "TDX section {} at offset {:#x}: unknown type {}", i,
                  section_at, type);
    }
    image.tdx_sections.push_back(s);
  }
  return okStatus();
}

}  // namespace

std::string guidToText(const Guid& g) {
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}"
      "{:02x}{:02x}",
      g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
      g[15]);
}

std::string_view sevSectionName(SevSectionType type) {
  switch (type) {
    case SevSectionType::kSnpSecMem:
      return "SNP_SEC_MEM";
    case SevSectionType::kSnpSecrets:
      return "SNP_SECRETS";
    case SevSectionType::kCpuid:
      return "CPUID";
    case SevSectionType::kSvsmCaa:
      return "SVSM_CAA";
    case SevSectionType::kSnpKernelHashes:
      return "SNP_KERNEL_HASHES";
  }
  return "unknown";
}

std::string_view tdxSectionName(TdxSectionType type) {
  switch (type) {
    case TdxSectionType::kBfv:
      return "BFV";
    case TdxSectionType::kCfv:
      return "CFV";
    case TdxSectionType::kTdHob:
      return "TD_HOB";
    case TdxSectionType::kTempMem:
      return "TempMem";
    case TdxSectionType::kPermMem:
      return "PermMem";
    case TdxSectionType::kPayload:
      return "Payload";
    case TdxSectionType::kPayloadParam:
      return "PayloadParam";
    case TdxSectionType::kTdInfo:
      return "TD_INFO";
    case TdxSectionType::kTdParams:
      return "TD_PARAMS";
  }
  return "unknown";
}

const FooterEntry* OvmfImage::find(const Guid& guid) const {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const FooterEntry& e) { return e.guid == guid; });
  return it == entries.end() ? nullptr : &*it;
}

Result<OvmfImage> parseOvmf(ByteSpan firmware) {
  OvmfImage image;
  image.firmware = firmware;
  COCOON_ASSIGN_OR_RETURN(image.entries, parseFooterTable(firmware));
  if (const FooterEntry* e = image.find(kSevEsResetBlockGuid)) {
    ByteReader r(e->data);
    COCOON_ASSIGN_OR_RETURN(image.sev_es_reset_eip, field(r.readU32Le(), "SEV-ES reset block"));
  }
  if (const FooterEntry* e = image.find(kSevHashTableGuid)) {
    ByteReader r(e->data);
    SevHashTableLocation loc;
    COCOON_ASSIGN_OR_RETURN(loc.gpa, field(r.readU32Le(), "SEV hash table gpa"));
    COCOON_ASSIGN_OR_RETURN(loc.size, field(r.readU32Le(), "SEV hash table size"));
    if (loc.gpa != 0) {  // the non-AmdSev builds carry the entry with zeros
      image.sev_hash_table = loc;
    }
  }
  if (const FooterEntry* e = image.find(kSevMetadataGuid)) {
    COCOON_TRY(parseSevMetadata(firmware, *e, image));
  }
  if (const FooterEntry* e = image.find(kTdxMetadataOffsetGuid)) {
    COCOON_TRY(parseTdxMetadata(firmware, *e, image));
  }
  return image;
}

}  // namespace cocoon::measure
