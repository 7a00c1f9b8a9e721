// SPDX-License-Identifier: Apache-2.0
#include "measure/tdx.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "measure/firmware_builder.h"
#include "support/expect.h"

namespace cocoon::measure {
namespace {

using cocoon::test::expectError;
using test::FirmwareBuilder;

// Debian 12 package `ovmf` 2022.11-6+deb12u2: a split build (VARS + CODE).
constexpr const char* kDebianOvmfCode = "/usr/share/OVMF/OVMF_CODE.fd";
constexpr const char* kDebianOvmfVars = "/usr/share/OVMF/OVMF_VARS.fd";

Result<Sha384> mrtdOf(ByteSpan fw, TdxPageAddOrder order = TdxPageAddOrder::kSinglePass) {
  COCOON_ASSIGN_OR_RETURN(OvmfImage image, parseOvmf(fw));
  return tdxMrtd(image, order);
}

Bytes buffer128(std::string_view op, std::uint64_t gpa) {
  Bytes b(128, 0);
  std::copy(op.begin(), op.end(), b.begin());
  for (std::size_t i = 0; i < 8; ++i) {
    b[16 + i] = static_cast<std::uint8_t>(gpa >> (8 * i));
  }
  return b;
}

TEST(TdxMrtd, MatchesReferenceToolOnDebianOvmf) {
  Bytes vars = test::readFileOrEmpty(kDebianOvmfVars);
  Bytes code = test::readFileOrEmpty(kDebianOvmfCode);
  if (vars.empty() || code.empty()) {
    GTEST_SKIP() << "Debian OVMF missing: install the Debian package ovmf";
  }
  // The unified OVMF.fd that the TDVF metadata describes is OVMF_VARS.fd + OVMF_CODE.fd.
  Bytes unified = vars;
  unified.insert(unified.end(), code.begin(), code.end());
  // Reference: td-shim's td_shim_tee_info_hash.py (github.com/confidential-containers/
  // td-shim, commit 125eeab58f69b891175c8803b4a824bfed7389c1, page by page: PAGE.ADD then
  // MR.EXTEND), run once as `cat OVMF_VARS.fd OVMF_CODE.fd > OVMF.fd;
  // python3 td-shim-tools/src/bin/td-shim-tee-info-hash/td_shim_tee_info_hash.py
  // --image OVMF.fd`.
  auto mrtd = mrtdOf(unified);
  ASSERT_TRUE(mrtd) << mrtd.error().toString();
  EXPECT_EQ(hexEncode(*mrtd),
            "4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de4057fb887fed0744d5631a"
            "212967fb231c47");
  // The split code file alone: its BFV section points past its end.
  expectError(mrtdOf(code), Code::kInvalidArgument,
              "TDX section 0 (BFV): raw data [0x20000, 0x200000) lies outside the "
              "0x1e0000-byte firmware (a split OVMF_CODE.fd needs its OVMF_VARS.fd in front)");
}

TEST(TdxMrtd, PageAddHashesTheGpaBuffer) {
  Bytes fw = FirmwareBuilder(0x4000)
                 .withTdxSection(TdxSection{0, 0, 0x809000, 0x1000, TdxSectionType::kTdHob, 0})
                 .build();
  auto mrtd = mrtdOf(fw);
  ASSERT_TRUE(mrtd) << mrtd.error().toString();
  EXPECT_EQ(hexEncode(*mrtd), hexEncode(crypto::sha384(buffer128("MEM.PAGE.ADD", 0x809000))));
}

TEST(TdxMrtd, PageAugSectionsAreNotMeasured) {
  Bytes with_aug =
      FirmwareBuilder(0x4000)
          .withTdxSection(TdxSection{0, 0, 0x809000, 0x1000, TdxSectionType::kTdHob, 0})
          .withTdxSection(
              TdxSection{0, 0, 0x900000, 0x4000, TdxSectionType::kPermMem, kTdxAttributePageAug})
          .build();
  auto mrtd = mrtdOf(with_aug);
  ASSERT_TRUE(mrtd);
  EXPECT_EQ(hexEncode(*mrtd), hexEncode(crypto::sha384(buffer128("MEM.PAGE.ADD", 0x809000))));
}

TEST(TdxMrtd, ExtendsRawDataZeroFilledInEitherOrder) {
  // Two pages of memory, 0x1100 bytes of raw data at file offset 0x3000 (the rest zero).
  Bytes fw = FirmwareBuilder(0x8000)
                 .withTdxSection(TdxSection{0x3000, 0x1100, 0xffff0000, 0x2000,
                                            TdxSectionType::kBfv, kTdxAttributeMrExtend})
                 .build();
  Bytes memory(fw.begin() + 0x3000, fw.begin() + 0x4100);
  memory.resize(0x2000, 0);
  auto extendPage = [&](crypto::Hasher& h, std::uint64_t page) {
    for (std::uint64_t off = page * 0x1000; off < (page + 1) * 0x1000; off += 256) {
      h.update(buffer128("MR.EXTEND", 0xffff0000 + off));
      h.update(ByteSpan(memory).subspan(off, 256));
    }
  };
  crypto::Hasher single(crypto::DigestAlgorithm::kSha384);
  crypto::Hasher two(crypto::DigestAlgorithm::kSha384);
  for (std::uint64_t p = 0; p < 2; ++p) {
    single.update(buffer128("MEM.PAGE.ADD", 0xffff0000 + p * 0x1000));
    extendPage(single, p);
    two.update(buffer128("MEM.PAGE.ADD", 0xffff0000 + p * 0x1000));
  }
  extendPage(two, 0);
  extendPage(two, 1);
  EXPECT_EQ(hexEncode(*mrtdOf(fw)), hexEncode(single.finish()));
  EXPECT_EQ(hexEncode(*mrtdOf(fw, TdxPageAddOrder::kTwoPass)), hexEncode(two.finish()));
}

TEST(TdxMrtd, RejectsUnusableSections) {
  auto withSection = [](TdxSection s) { return FirmwareBuilder(0x4000).withTdxSection(s).build(); };
  expectError(mrtdOf(withSection({0, 0, 0x809800, 0x1000, TdxSectionType::kTempMem, 0})),
              Code::kInvalidArgument,
              "TDX section 0 (TempMem): memory 0x809800 size 0x1000 is not 4 KiB aligned");
  expectError(mrtdOf(withSection({0, 0x2000, 0x800000, 0x1000, TdxSectionType::kBfv, 1})),
              Code::kInvalidArgument, "raw data of 0x2000 bytes exceeds its memory of 0x1000");
  expectError(mrtdOf(withSection({0x3000, 0x2000, 0x800000, 0x2000, TdxSectionType::kBfv, 1})),
              Code::kInvalidArgument, "raw data [0x3000, 0x5000) lies outside the 0x4000-byte");
  expectError(mrtdOf(withSection({0, 0, 0xfffffffffffff000, 0x2000, TdxSectionType::kTempMem, 0})),
              Code::kInvalidArgument, "wraps");
  expectError(mrtdOf(withSection({0, 0, 0, std::uint64_t{1} << 40, TdxSectionType::kTempMem, 0})),
              Code::kInvalidArgument, "add more than 1048576 pages");
  Bytes no_tdx = FirmwareBuilder(0x4000).withResetEip(1).build();
  expectError(mrtdOf(no_tdx), Code::kInvalidArgument, "firmware has no TDX metadata");
}

}  // namespace
}  // namespace cocoon::measure
