// SPDX-License-Identifier: Apache-2.0
#include "measure/ovmf.h"

#include <gtest/gtest.h>

#include "measure/firmware_builder.h"
#include "support/expect.h"

namespace cocoon::measure {
namespace {

using cocoon::test::expectError;
using test::FirmwareBuilder;

// Debian 12 package `ovmf` 2022.11-6+deb12u2 (OvmfPkgX64 build with SEV and TDX support).
constexpr const char* kDebianOvmfCode = "/usr/share/OVMF/OVMF_CODE.fd";

Bytes sampleFirmware() {
  return FirmwareBuilder(0x4000)
      .withResetEip(0x80b004)
      .withHashTable(0x80fc00, 0x400)
      .withSevSection(0x800000, 0x9000, SevSectionType::kSnpSecMem)
      .withSevSection(0x80f000, 0x1000, SevSectionType::kSnpKernelHashes)
      .withTdxSection(TdxSection{0x3000, 0x1000, 0xfffff000, 0x1000, TdxSectionType::kBfv, 1})
      .build();
}

void putU16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

TEST(Guid, TextRoundTripsThroughOnDiskOrder) {
  EXPECT_EQ(kFooterTableGuid[0], 0xde);  // the first group is stored little-endian
  EXPECT_EQ(kFooterTableGuid[8], 0xba);  // the fourth group as written
  EXPECT_EQ(guidToText(kFooterTableGuid), "96b582de-1fb2-45f7-baea-a366c55a082d");
}

TEST(OvmfParser, ParsesDebianOvmfCode) {
  Bytes fw = test::readFileOrEmpty(kDebianOvmfCode);
  if (fw.empty()) {
    GTEST_SKIP() << kDebianOvmfCode << " missing: install the Debian package ovmf";
  }
  auto image = parseOvmf(fw);
  ASSERT_TRUE(image) << image.error().toString();
  EXPECT_EQ(image->gpa(), 0xffe20000u);
  EXPECT_EQ(image->entries.size(), 5u);
  EXPECT_EQ(image->sev_es_reset_eip, 0x80b004u);
  EXPECT_FALSE(image->sev_hash_table.has_value());  // not the AmdSev build: entry of zeros
  // Values as edk2's OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm lays them out.
  ASSERT_EQ(image->sev_sections.size(), 5u);
  EXPECT_EQ(image->sev_sections[0].gpa, 0x800000u);
  EXPECT_EQ(image->sev_sections[0].size, 0x9000u);
  EXPECT_EQ(image->sev_sections[2].type, SevSectionType::kSnpSecrets);
  EXPECT_EQ(image->sev_sections[3].type, SevSectionType::kCpuid);
  EXPECT_EQ(image->sev_sections[4].size, 0x11000u);
  ASSERT_EQ(image->tdx_sections.size(), 6u);
  EXPECT_EQ(image->tdx_sections[0].type, TdxSectionType::kBfv);
  EXPECT_EQ(image->tdx_sections[0].memory_address, 0xffe20000u);
  EXPECT_EQ(image->tdx_sections[0].attributes, kTdxAttributeMrExtend);
  EXPECT_EQ(image->tdx_sections[1].type, TdxSectionType::kCfv);
  EXPECT_EQ(image->tdx_sections[4].type, TdxSectionType::kTdHob);
}

TEST(OvmfParser, RoundTripsBuilderImage) {
  Bytes fw = sampleFirmware();
  auto image = parseOvmf(fw);
  ASSERT_TRUE(image) << image.error().toString();
  EXPECT_EQ(image->sev_es_reset_eip, 0x80b004u);
  ASSERT_TRUE(image->sev_hash_table);
  EXPECT_EQ(image->sev_hash_table->gpa, 0x80fc00u);
  ASSERT_EQ(image->sev_sections.size(), 2u);
  EXPECT_EQ(image->sev_sections[1].type, SevSectionType::kSnpKernelHashes);
  ASSERT_EQ(image->tdx_sections.size(), 1u);
  EXPECT_EQ(image->tdx_sections[0].data_offset, 0x3000u);
}

TEST(OvmfParser, RejectsImageShorterThanFooter) {
  Bytes fw(0x31, 0);
  expectError(parseOvmf(fw), Code::kInvalidArgument, "too short for the OVMF footer table");
}

TEST(OvmfParser, RejectsEveryTruncation) {
  // Cutting the end off moves the footer: no truncation can still parse.
  Bytes fw = sampleFirmware();
  for (std::size_t n = 0; n < fw.size(); ++n) {
    auto r = parseOvmf(ByteSpan(fw).first(n));
    ASSERT_FALSE(r) << "truncated to " << n;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
}

TEST(OvmfParser, RejectsMissingFooterGuid) {
  Bytes fw = sampleFirmware();
  fw[fw.size() - 0x20 - 16] ^= 1;
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "no OVMF footer table: expected GUID 96b582de-1fb2-45f7-baea-a366c55a082d at "
              "offset 0x3fd0");
}

TEST(OvmfParser, RejectsTableLengthBeyondImage) {
  Bytes fw = sampleFirmware();
  putU16(fw, fw.size() - 0x20 - 18, 0xffff);
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "OVMF footer table length 65535 at offset 0x3fce does not fit");
  putU16(fw, fw.size() - 0x20 - 18, 17);
  expectError(parseOvmf(fw), Code::kInvalidArgument, "OVMF footer table length 17");
}

TEST(OvmfParser, RejectsEntryLengthBeyondTable) {
  Bytes fw = sampleFirmware();
  // The entry next to the footer is the SEV-ES reset block (22 bytes).
  putU16(fw, fw.size() - 0x20 - 18 - 18, 200);
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "OVMF footer entry 00f771de-1a7e-4fcb-890e-68c77e2fb44e at offset 0x3fbc has "
              "length 200");
  putU16(fw, fw.size() - 0x20 - 18 - 18, 3);
  expectError(parseOvmf(fw), Code::kInvalidArgument, "has length 3: expected 18..");
}

TEST(OvmfParser, RejectsSevMetadataOutsideImage) {
  Bytes fw =
      FirmwareBuilder(0x4000).withSevSection(0x800000, 0x1000, SevSectionType::kCpuid).build();
  // The SEV metadata entry's data (u32 offset from the end) sits 18 + 4 bytes before the
  // footer header.
  const std::size_t data_at = fw.size() - 0x20 - 18 - 18 - 4;
  fw[data_at + 2] = 0x01;  // 0x1xxxx > 0x4000
  expectError(parseOvmf(fw), Code::kInvalidArgument, "lies outside the 0x4000-byte firmware");
}

TEST(OvmfParser, RejectsBadSevSignatureVersionLengthAndType) {
  const Bytes good =
      FirmwareBuilder(0x4000).withSevSection(0x800000, 0x1000, SevSectionType::kCpuid).build();
  const std::size_t at = FirmwareBuilder::kSevMetadataAt;
  Bytes fw = good;
  fw[at] = 'X';
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "SEV metadata at offset 0x1000: expected signature \"ASEV\"");
  fw = good;
  fw[at + 8] = 2;
  expectError(parseOvmf(fw), Code::kInvalidArgument, "version 2, expected 1");
  fw = good;
  fw[at + 12] = 2;  // two sections in a 28-byte descriptor
  expectError(parseOvmf(fw), Code::kInvalidArgument, "length 28 does not hold 2 sections");
  fw = good;
  fw[at + 4] = 0xff;
  fw[at + 5] = 0xff;
  fw[at + 6] = 0xff;
  fw[at + 7] = 0xff;  // longer than the rest of the image
  expectError(parseOvmf(fw), Code::kInvalidArgument, "length 4294967295 does not hold");
  fw = good;
  fw[at + 16 + 8] = 9;
  expectError(parseOvmf(fw), Code::kInvalidArgument, "section 0 at offset 0x1010: unknown type 9");
}

TEST(OvmfParser, RejectsBadTdxGuidSignatureAndType) {
  const Bytes good =
      FirmwareBuilder(0x4000)
          .withTdxSection(TdxSection{0, 0, 0x800000, 0x1000, TdxSectionType::kTempMem, 0})
          .build();
  const std::size_t at = FirmwareBuilder::kTdxMetadataAt;
  Bytes fw = good;
  fw[at] ^= 1;
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "TDX metadata at offset 0x2010: expected GUID e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae");
  fw = good;
  fw[at + 16] = 'X';
  expectError(parseOvmf(fw), Code::kInvalidArgument, "expected signature \"TDVF\"");
  fw = good;
  fw[at + 16 + 16 + 24] = 42;
  expectError(parseOvmf(fw), Code::kInvalidArgument,
              "TDX section 0 at offset 0x2020: unknown "
              "type 42");
}

}  // namespace
}  // namespace cocoon::measure
