// SPDX-License-Identifier: Apache-2.0
#include "measure/snp.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "measure/firmware_builder.h"
#include "measure/snp/launch_digest.h"
#include "measure/snp/vmsa.h"
#include "support/expect.h"

namespace cocoon::measure {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;
using test::FirmwareBuilder;

// Debian 12 package `ovmf` 2022.11-6+deb12u2.
constexpr const char* kDebianOvmfCode = "/usr/share/OVMF/OVMF_CODE.fd";

// Expected digests below come from the reference tool sev-snp-measure (github.com/virtee/
// sev-snp-measure, commit 8f2b337e38bc83f87cd30f3253cdfe8e3e12cc3a, v0.0.13), run once as
// `python3 sev-snp-measure.py --mode snp <args> --ovmf <file>`; see each test.

std::string measure(ByteSpan fw, const SnpLaunchConfig& config) {
  auto image = parseOvmf(fw);
  EXPECT_TRUE(image) << image.error().toString();
  if (!image) {
    return "";
  }
  auto digest = snpLaunchDigest(*image, config);
  EXPECT_TRUE(digest) << digest.error().toString();
  return digest ? hexEncode(*digest) : "";
}

SnpLaunchConfig config(std::uint32_t vcpus, std::string_view type, std::uint64_t features = 1) {
  SnpLaunchConfig c;
  c.vcpus = vcpus;
  c.vcpu_signature = *cpuSignatureOf(type);
  c.guest_features = features;
  return c;
}

TEST(SnpPageInfo, LaysOutFieldsAsTheAbiSpecSays) {
  snp::Digest cur{};
  snp::Digest contents{};
  cur.fill(0x11);
  contents.fill(0x22);
  auto info = snp::pageInfo(cur, contents, snp::PageType::kSecrets, 0x0123456789abcdef);
  EXPECT_EQ(info[0], 0x11);
  EXPECT_EQ(info[47], 0x11);
  EXPECT_EQ(info[48], 0x22);
  EXPECT_EQ(info[95], 0x22);
  EXPECT_EQ(hexEncode(ByteSpan(info).subspan(96)),
            "7000"  // LENGTH 0x70
            "05"    // PAGE_TYPE secrets
            "00"
            "000000"
            "00"                  // IMI_PAGE, VMPL3..1 perms, reserved
            "efcdab8967452301");  // GPA little-endian
}

TEST(SnpLaunchDigest, ChainsSha384OverPageInfo) {
  snp::LaunchDigest ld;
  ld.updateEmptyPages(snp::PageType::kZero, 0x1000, 0x2000);
  // Two zero pages by hand: digest = SHA-384(PAGE_INFO(previous digest, zeros, 3, gpa)).
  auto first = crypto::sha384(snp::pageInfo({}, {}, snp::PageType::kZero, 0x1000));
  snp::Digest d1{};
  std::copy(first.begin(), first.end(), d1.begin());
  auto second = crypto::sha384(snp::pageInfo(d1, {}, snp::PageType::kZero, 0x2000));
  EXPECT_EQ(hexEncode(ld.digest()), hexEncode(second));

  snp::LaunchDigest vmsa;
  Bytes page(4096, 0xab);
  vmsa.updateVmsaPage(page);
  snp::Digest contents{};
  auto page_hash = crypto::sha384(page);
  std::copy(page_hash.begin(), page_hash.end(), contents.begin());
  EXPECT_EQ(
      hexEncode(vmsa.digest()),
      hexEncode(crypto::sha384(snp::pageInfo({}, contents, snp::PageType::kVmsa, 0xFFFFFFFFF000))));
}

std::uint64_t readLe(const snp::VmsaPage& page, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v |= std::uint64_t{page.at(at + i)} << (8 * i);
  }
  return v;
}

TEST(SnpVmsa, PutsResetStateAtApmOffsets) {
  auto ap = snp::buildVmsa(0x0080b004, 0x21, 0x00a00f11);
  EXPECT_EQ(readLe(ap, 0x10, 2), 0xf000u);       // CS selector
  EXPECT_EQ(readLe(ap, 0x12, 2), 0x9bu);         // CS attributes
  EXPECT_EQ(readLe(ap, 0x18, 8), 0x00800000u);   // CS base = EIP & 0xffff0000
  EXPECT_EQ(readLe(ap, 0x178, 8), 0xb004u);      // RIP = EIP & 0xffff
  EXPECT_EQ(readLe(ap, 0x310, 8), 0x00a00f11u);  // RDX = CPUID signature
  EXPECT_EQ(readLe(ap, 0x3b0, 8), 0x21u);        // SEV_FEATURES
  EXPECT_EQ(readLe(ap, 0xd0, 8), 0x1000u);       // EFER.SVME
  EXPECT_EQ(readLe(ap, 0x268, 8), 0x0007040600070406u);
  auto bsp = snp::buildVmsa(snp::kBspResetEip, 1, 0);
  EXPECT_EQ(readLe(bsp, 0x18, 8), 0xffff0000u);
  EXPECT_EQ(readLe(bsp, 0x178, 8), 0xfff0u);
  EXPECT_EQ(readLe(bsp, 0x410, 2), 0x37fu);
  EXPECT_EQ(readLe(bsp, 0x408, 4), 0x1f80u);
  std::size_t nonzero = 0;
  for (std::uint8_t b : bsp) {
    nonzero += b != 0 ? 1 : 0;
  }
  EXPECT_LT(nonzero, 100u);  // everything else is zero
}

TEST(SnpCpuSignature, MatchesPublishedCpuidValues) {
  // CPUID Fn0000_0001_EAX of the QEMU models (AMD #25481 family/model/stepping encoding).
  EXPECT_EQ(*cpuSignatureOf("EPYC-v4"), 0x00800f12u);
  EXPECT_EQ(*cpuSignatureOf("EPYC-Rome"), 0x00830f10u);
  EXPECT_EQ(*cpuSignatureOf("EPYC-Milan"), 0x00a00f11u);
  EXPECT_EQ(*cpuSignatureOf("EPYC-Genoa"), 0x00a10f10u);
  EXPECT_EQ(cpuSignature(6, 0x8f, 8), 0x000806f8u);  // family <= 0xf: no extended family
  expectError(cpuSignatureOf("Skylake"), Code::kInvalidArgument,
              "unknown vCPU type \"Skylake\": expected one of EPYC, EPYC-v1");
}

TEST(SevHashTable, FramesHashesAsQemuDoes) {
  auto hashes = hashKernelInputs(test::testKernel(), test::testInitrd(), "console=ttyS0");
  // sev-snp-measure's SevHashes(kernel, initrd, "console=ttyS0").construct_table().
  EXPECT_EQ(hexEncode(sevHashTable(hashes)),
            "06d63894224fc94cb479a793d411fd21a800d82dd09720bd944caa78e7714d36ab2a3200f18aae9b3c0"
            "9e55bc3047ad361e2442d7c53372470b2958fb83293209a784f7131f7ba442f3ad74b9af141e2916978"
            "1d32001e92fd98f113aba0a78e0830ca06e2775912370feab112dfc57bf3258b8105953794e74dd2ab"
            "7f42b835d5b172d2045b320082a894eaac118c23dca1b5262b0b4fe80a1ec500ca6c80735176150fc1"
            "99afec0000000000000000");
  // No command line is measured as a lone NUL.
  EXPECT_EQ(hexEncode(hashKernelInputs({}, {}, "").cmdline), hexEncode(crypto::sha256(Bytes{0})));
}

TEST(SnpLaunchDigest, MatchesReferenceToolOnDebianOvmf) {
  Bytes fw = test::readFileOrEmpty(kDebianOvmfCode);
  if (fw.empty()) {
    GTEST_SKIP() << kDebianOvmfCode << " missing: install the Debian package ovmf";
  }
  // --vcpus 1 --vcpu-type EPYC-v4 --ovmf /usr/share/OVMF/OVMF_CODE.fd
  EXPECT_EQ(measure(fw, config(1, "EPYC-v4")),
            "a479327cbb0b50e876024c2dac7412d4e5e95c7315c1f8b0446f6d3be69fefba50766285475926737e"
            "4a70b155252f88");
  // --vcpus 4 --vcpu-type EPYC-Milan
  EXPECT_EQ(measure(fw, config(4, "EPYC-Milan")),
            "cc2b38913550ecd41aadbcf2a5d309ae9d3cb0455c9e1f72892f6b18cfaea3f2e4f46a28b61ca03537"
            "24ee707c73177c");
  // --vcpus 2 --vcpu-type EPYC-Genoa --guest-features 0x21
  EXPECT_EQ(measure(fw, config(2, "EPYC-Genoa", 0x21)),
            "4c3f15c10944733a35c665004cc08c01ea5a9a5388edd670d022a58fb82c05fd14994a6b38446824e9"
            "599004172eac17");
}

TEST(SnpLaunchDigest, MatchesReferenceToolWithKernelHashes) {
  // The firmware, kernel and initrd of firmware_builder.cc written to files, then
  // --ovmf amdsev_like.fd with the arguments shown.
  Bytes fw = test::amdSevLikeFirmware();
  // --vcpus 1 --vcpu-type EPYC-v4 (no kernel: the hashes page is measured as zeros)
  EXPECT_EQ(measure(fw, config(1, "EPYC-v4")),
            "7eea9f5e6072b30cace990c364cd90bdcc6402301dc015c7d744869b3fc0e2e44981a3492a9bf48c25"
            "b54a0921e63be1");
  // --vcpus 2 --vcpu-type EPYC-Milan --kernel kernel --initrd initrd --append console=ttyS0
  SnpLaunchConfig c = config(2, "EPYC-Milan");
  c.kernel_hashes = hashKernelInputs(test::testKernel(), test::testInitrd(), "console=ttyS0");
  EXPECT_EQ(measure(fw, c),
            "0698e0184edee0a97c02d1b3ddce6cc7770c65cf716bc00fc38dfb10313a38fcf40c8196fb56566"
            "10bab787c8483b9d7");
  // --vcpus 1 --vcpu-type EPYC-v4 --kernel kernel
  c = config(1, "EPYC-v4");
  c.kernel_hashes = hashKernelInputs(test::testKernel(), {}, "");
  EXPECT_EQ(measure(fw, c),
            "698db2ced833ecd6ae4bd5b5d56ae6bef011c03bc740d6b8c9d4ca8675e127378942546a2c95ece40"
            "17f90e969c904af");
}

TEST(SnpLaunchDigest, RejectsKernelWithoutKernelHashesSection) {
  Bytes fw = FirmwareBuilder(0x4000)
                 .withResetEip(0x80b004)
                 .withSevSection(0x800000, 0x1000, SevSectionType::kSnpSecMem)
                 .build();
  auto image = parseOvmf(fw);
  ASSERT_TRUE(image);
  SnpLaunchConfig c;
  c.kernel_hashes = hashKernelInputs({}, {}, "");
  expectError(snpLaunchDigest(*image, c), Code::kInvalidArgument,
              "no SNP_KERNEL_HASHES section: measured direct boot needs an AmdSev OVMF build");
}

TEST(SnpLaunchDigest, RejectsUnusableFirmwareAndConfig) {
  Bytes no_sev = FirmwareBuilder(0x4000).withResetEip(0x80b004).build();
  auto image = parseOvmf(no_sev);
  ASSERT_TRUE(image);
  expectError(snpLaunchDigest(*image, {}), Code::kInvalidArgument, "firmware has no SEV metadata");

  Bytes misaligned =
      FirmwareBuilder(0x4000).withSevSection(0x800800, 0x1000, SevSectionType::kSnpSecMem).build();
  image = parseOvmf(misaligned);
  ASSERT_TRUE(image);
  expectError(snpLaunchDigest(*image, {}), Code::kInvalidArgument,
              "SEV metadata section 0 (SNP_SEC_MEM): gpa 0x800800 size 0x1000 is not");
  SnpLaunchConfig two;
  two.vcpus = 2;
  Bytes no_reset =
      FirmwareBuilder(0x4000).withSevSection(0x800000, 0x1000, SevSectionType::kSnpSecMem).build();
  image = parseOvmf(no_reset);
  ASSERT_TRUE(image);
  expectError(snpLaunchDigest(*image, two), Code::kInvalidArgument, "no SEV-ES reset block");
  SnpLaunchConfig none;
  none.vcpus = 0;
  expectError(snpLaunchDigest(*image, none), Code::kInvalidArgument, "vcpus 0 outside 1..4096");

  Bytes huge = FirmwareBuilder(0x4000)
                   .withSevSection(0x0, 0xfffff000, SevSectionType::kSnpSecMem)
                   .withSevSection(0x0, 0x2000, SevSectionType::kSnpSecMem)
                   .build();
  image = parseOvmf(huge);
  ASSERT_TRUE(image);
  expectError(snpLaunchDigest(*image, {}), Code::kInvalidArgument,
              "SEV metadata sections up to 1 add more than 1048576 pages");

  Bytes odd_size =
      FirmwareBuilder(0x4100).withSevSection(0x800000, 0x1000, SevSectionType::kSnpSecMem).build();
  image = parseOvmf(odd_size);
  ASSERT_TRUE(image);
  expectError(snpLaunchDigest(*image, {}), Code::kInvalidArgument,
              "firmware of 0x4100 bytes is not a whole number of 4 KiB pages");
}

}  // namespace
}  // namespace cocoon::measure
