// SPDX-License-Identifier: Apache-2.0
// OVMF / TDVF firmware layout: the GUIDed footer table at the reset vector, the SEV
// metadata ("ASEV") sections and the TDX metadata ("TDVF") sections.
// Trust: the firmware file comes from the workload owner's disk or a download; every byte
// is untrusted until this bounds-checked parser has accepted it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::measure {

// A GUID in its on-disk (EFI, mixed-endian) byte order.
using Guid = std::array<std::uint8_t, 16>;

// Parses "96b582de-1fb2-45f7-baea-a366c55a082d" at compile time into on-disk order
// (first three groups little-endian, last two as written).
consteval Guid guidFromText(std::string_view text) {
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') {
      return static_cast<std::uint8_t>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
      return static_cast<std::uint8_t>(c - 'a' + 10);
    }
    throw "guidFromText: not a lower-case hex digit";  // a compile error in consteval
  };
  std::array<std::uint8_t, 16> as_written{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') {
      continue;
    }
    as_written.at(n / 2) = static_cast<std::uint8_t>(as_written.at(n / 2) << 4 | nibble(text[i]));
    ++n;
  }
  if (n != 32) {
    throw "guidFromText: expected 32 hex digits";
  }
  constexpr std::array<std::size_t, 16> kOrder = {3, 2, 1,  0,  5,  4,  7,  6,
                                                  8, 9, 10, 11, 12, 13, 14, 15};
  Guid out{};
  for (std::size_t i = 0; i < 16; ++i) {
    out.at(i) = as_written.at(kOrder.at(i));
  }
  return out;
}

// The textual form ("96b582de-1fb2-...") of an on-disk GUID, for messages and JSON.
std::string guidToText(const Guid& guid);

// GUIDs of OVMF's footer table (edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm).
inline constexpr Guid kFooterTableGuid = guidFromText("96b582de-1fb2-45f7-baea-a366c55a082d");
inline constexpr Guid kSevEsResetBlockGuid = guidFromText("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
inline constexpr Guid kSevHashTableGuid = guidFromText("7255371f-3a3b-4b04-927b-1da6efa8d454");
inline constexpr Guid kSevMetadataGuid = guidFromText("dc886566-984a-4798-a75e-5585a7bf67cc");
inline constexpr Guid kTdxMetadataOffsetGuid = guidFromText("e47a6535-984a-4798-865e-4685a7bf8ec2");
// Precedes the "TDVF" descriptor (TDVF design guide, "TDVF metadata").
inline constexpr Guid kTdxMetadataGuid = guidFromText("e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae");

// Where OVMF's footer table ends: 0x20 bytes before the end of the image.
inline constexpr std::size_t kFooterTableEndFromEnd = 0x20;

// One entry of the footer table: its GUID, its data and the data's file offset.
struct FooterEntry {
  Guid guid{};
  Bytes data;
  std::size_t offset = 0;
};

// SEV metadata section types (edk2 OvmfPkg/Include/WorkArea.h / OvmfSevMetadata.asm).
enum class SevSectionType : std::uint32_t {
  kSnpSecMem = 1,
  kSnpSecrets = 2,
  kCpuid = 3,
  kSvsmCaa = 4,
  kSnpKernelHashes = 0x10,
};

// One "ASEV" section: a guest-physical range SNP launch must populate.
struct SevSection {
  std::uint32_t gpa = 0;
  std::uint32_t size = 0;
  SevSectionType type = SevSectionType::kSnpSecMem;
};

// The SEV hash table location (footer entry kSevHashTableGuid): where QEMU writes the
// kernel/initrd/cmdline hashes for measured direct boot.
struct SevHashTableLocation {
  std::uint32_t gpa = 0;
  std::uint32_t size = 0;
};

// TDVF section types (TDVF design guide, Table "TDVF_SECTION type"; 7 and 8 are td-shim's).
enum class TdxSectionType : std::uint32_t {
  kBfv = 0,
  kCfv = 1,
  kTdHob = 2,
  kTempMem = 3,
  kPermMem = 4,
  kPayload = 5,
  kPayloadParam = 6,
  kTdInfo = 7,
  kTdParams = 8,
};

// TDVF section attributes.
inline constexpr std::uint32_t kTdxAttributeMrExtend = 0x1;
inline constexpr std::uint32_t kTdxAttributePageAug = 0x2;

// One "TDVF" section: raw data in the file and the guest range it is loaded to.
struct TdxSection {
  std::uint32_t data_offset = 0;
  std::uint32_t raw_data_size = 0;
  std::uint64_t memory_address = 0;
  std::uint64_t memory_data_size = 0;
  TdxSectionType type = TdxSectionType::kBfv;
  std::uint32_t attributes = 0;
};

// "BFV", "CFV", "TD_HOB", ... for messages and output.
std::string_view sevSectionName(SevSectionType type);
std::string_view tdxSectionName(TdxSectionType type);

// A parsed firmware image. `firmware` views the caller's buffer, which must outlive it.
struct OvmfImage {
  ByteSpan firmware;
  std::vector<FooterEntry> entries;  // in file order from the end backwards
  std::optional<std::uint32_t> sev_es_reset_eip;
  std::optional<SevHashTableLocation> sev_hash_table;
  std::vector<SevSection> sev_sections;  // empty if the image has no SEV metadata
  std::vector<TdxSection> tdx_sections;  // empty if the image has no TDX metadata

  // The guest-physical address the image is mapped at: it ends at 4 GiB.
  std::uint64_t gpa() const { return (std::uint64_t{1} << 32) - firmware.size(); }
  // The first entry with `guid`, or nullptr.
  const FooterEntry* find(const Guid& guid) const;
};

// Parses the footer table and, where present, the SEV-ES reset block, the SEV hash table
// location, the SEV metadata and the TDX metadata of `firmware`.
// Errors (all kInvalidArgument, naming the file offset, what was expected and found):
// an image shorter than the footer, a missing footer GUID, a table or entry length that
// does not fit, metadata whose offset or declared length lies outside the image, a bad
// "ASEV"/"TDVF" signature or version, and an unknown section type. Where sections point
// (alignment, TDX raw data inside the image) is checked by the measurement that uses
// them, so a split OVMF_CODE.fd still measures for SNP although its TDVF sections refer
// to the OVMF_VARS.fd part in front of it.
Result<OvmfImage> parseOvmf(ByteSpan firmware);

}  // namespace cocoon::measure
