// SPDX-License-Identifier: Apache-2.0
#include "verify/snp/report.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"
#include "verify/snp/vectors.h"

namespace cocoon::verify::snp {
namespace {

using cocoon::test::expectError;
using test::loadVector;

#define LOAD_OR_SKIP(var, path)                                          \
  auto var##_opt = loadVector(path);                                     \
  if (!var##_opt) {                                                      \
    GTEST_SKIP() << "shared/testdata/evidence/" << (path) << " missing"; \
  }                                                                      \
  const Bytes& var = *var##_opt

// Field values of trustee's deps/verifier/test_data/snp/test-report.bin (a v2 report from
// a Milan chip) as listed in shared/testdata/evidence/README.md.
TEST(SnpReport, ParsesGenuineV2Report) {
  LOAD_OR_SKIP(bytes, "snp/test-report.bin");
  auto r = parseSnpReport(bytes);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->version, 2u);
  EXPECT_EQ(r->guest_svn, 4u);
  EXPECT_EQ(r->policy, 0x3001fu);
  EXPECT_EQ(r->vmpl, 0u);
  EXPECT_EQ(r->signature_algo, 1u);
  EXPECT_EQ(r->family_id[0], 1);
  EXPECT_EQ(r->image_id[0], 2);
  EXPECT_EQ(hexEncode(r->measurement),
            "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be9"
            "17f9050d3d38c");
  EXPECT_EQ(hexEncode(r->report_data).substr(0, 64),
            "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2");
  EXPECT_EQ(hexEncode(r->id_key_digest),
            "0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b"
            "2bb57af7a44a3");
  EXPECT_EQ(hexEncode(r->chip_id).substr(0, 16), "c38427a30d4c7af9");
  EXPECT_EQ(decodeTcb(r->reported_tcb, Product::kMilan), (TcbVersion{std::nullopt, 3, 0, 8, 115}));
  EXPECT_EQ(decodeTcb(r->current_tcb, Product::kMilan).microcode, 206);
  EXPECT_EQ(r->current_major, 1);
  EXPECT_EQ(r->current_minor, 52);
  EXPECT_EQ(r->current_build, 4);
  EXPECT_FALSE(r->cpuid_fam_id);
  EXPECT_EQ(r->product(), std::nullopt);
  EXPECT_EQ(r->signingKeyField(), 0u);
  EXPECT_FALSE(r->policyDebug());
  EXPECT_TRUE(r->policySmt());
}

// trustee's test-vlek-report.bin: v3, CPUID family 0x19 model 0x01 stepping 1 (Milan).
TEST(SnpReport, ParsesGenuineV3VlekReport) {
  LOAD_OR_SKIP(bytes, "snp/test-vlek-report.bin");
  auto r = parseSnpReport(bytes);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->version, 3u);
  EXPECT_EQ(r->cpuid_fam_id, 0x19);
  EXPECT_EQ(r->cpuid_mod_id, 0x01);
  EXPECT_EQ(r->cpuid_step, 1);
  EXPECT_EQ(r->product(), Product::kMilan);
  EXPECT_EQ(r->policy, 0x30000u);
  EXPECT_EQ(r->vmpl, 1u);
  EXPECT_EQ(r->platform_info, 0x27u);
  EXPECT_EQ(r->signingKeyField(), 1u);
  EXPECT_EQ(decodeTcb(r->reported_tcb, Product::kMilan), (TcbVersion{std::nullopt, 4, 0, 24, 217}));
  EXPECT_EQ(r->current_major, 1);
  EXPECT_EQ(r->current_minor, 55);
  EXPECT_EQ(r->current_build, 29);
  EXPECT_EQ(hexEncode(r->chip_id), std::string(128, '0'));
}

TEST(SnpReport, RoundTripsThroughSerialize) {
  for (const char* name : {"snp/test-report.bin", "snp/test-vlek-report.bin"}) {
    LOAD_OR_SKIP(bytes, name);
    auto r = parseSnpReport(bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(serializeSnpReport(*r), bytes) << name;
  }
  // Version 5 adds the mitigation vectors; Turin's TCB layout puts FMC first.
  SnpReport v5;
  v5.version = 5;
  v5.cpuid_fam_id = 0x1A;
  v5.cpuid_mod_id = 0x02;
  v5.cpuid_step = 0;
  v5.launch_mit_vector = 0x0102030405060708;
  v5.current_mit_vector = 0x1112131415161718;
  v5.reported_tcb = encodeTcb(TcbVersion{5, 3, 1, 8, 15}, Product::kTurin);
  v5.signature_r[0] = 0xAA;
  const Bytes bytes = serializeSnpReport(v5);
  ASSERT_EQ(bytes.size(), kReportSize);
  EXPECT_EQ(hexEncode(ByteSpan(bytes).subspan(0x1F8, 16)), "08070605040302011817161514131211");
  EXPECT_EQ(hexEncode(ByteSpan(bytes).subspan(0x180, 8)), "050301080000000f");
  auto back = parseSnpReport(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->product(), Product::kTurin);
  EXPECT_EQ(back->launch_mit_vector, v5.launch_mit_vector);
  EXPECT_EQ(back->current_mit_vector, v5.current_mit_vector);
  EXPECT_EQ(decodeTcb(back->reported_tcb, Product::kTurin), (TcbVersion{5, 3, 1, 8, 15}));
  EXPECT_EQ(serializeSnpReport(*back), bytes);
}

TEST(SnpReport, RejectsEveryTruncationAndTrailingBytes) {
  LOAD_OR_SKIP(bytes, "snp/test-report.bin");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = parseSnpReport(ByteSpan(bytes).first(n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
  Bytes longer = bytes;
  longer.push_back(0);
  expectError(parseSnpReport(longer), Code::kInvalidArgument,
              "SNP report has 1185 bytes, expected 1184");
}

TEST(SnpReport, RejectsUnknownVersions) {
  LOAD_OR_SKIP(bytes, "snp/test-report.bin");
  for (int v : {0, 1, 4, 6, 0xFF}) {
    Bytes b = bytes;
    b[0] = static_cast<std::uint8_t>(v);
    expectError(parseSnpReport(b), Code::kUnimplemented,
                fmt::format("SNP report version {} at offset 0, expected 2, 3 or 5", v));
  }
}

// ABI Table 118: r and s are little-endian; crypto wants big-endian r||s of 48 bytes each.
TEST(SnpReport, ReversesTheSignatureComponents) {
  SnpReport r;
  for (std::size_t i = 0; i < 48; ++i) {
    r.signature_r[i] = static_cast<std::uint8_t>(i);
    r.signature_s[i] = static_cast<std::uint8_t>(0x80 + i);
  }
  const Bytes raw = signatureRaw(r);
  ASSERT_EQ(raw.size(), 96u);
  EXPECT_EQ(raw[0], 47);
  EXPECT_EQ(raw[47], 0);
  EXPECT_EQ(raw[48], 0x80 + 47);
  EXPECT_EQ(raw[95], 0x80);
}

TEST(SnpTcb, DecodesPerProductLayout) {
  const std::array<std::uint8_t, 8> raw = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(decodeTcb(raw, Product::kMilan), (TcbVersion{std::nullopt, 1, 2, 7, 8}));
  EXPECT_EQ(decodeTcb(raw, Product::kGenoa), (TcbVersion{std::nullopt, 1, 2, 7, 8}));
  EXPECT_EQ(decodeTcb(raw, Product::kTurin), (TcbVersion{1, 2, 3, 4, 8}));
}

// The prefixes trustee's offline-store test expects (deps/verifier/src/snp/mod.rs).
TEST(SnpTcb, FormatsTheCachePrefix) {
  EXPECT_EQ(tcbPrefix(TcbVersion{std::nullopt, 2, 0, 6, 21}), "bl02_tee00_snp06_ucode21");
  EXPECT_EQ(tcbPrefix(TcbVersion{5, 3, 1, 8, 15}), "bl03_tee01_snp08_ucode15_fmc05");
  EXPECT_EQ(tcbPrefix(TcbVersion{std::nullopt, 3, 0, 8, 115}), "bl03_tee00_snp08_ucode115");
}

TEST(SnpProduct, MapsCpuidAndNames) {
  EXPECT_EQ(productFromCpuid(0x19, 0x01), Product::kMilan);
  EXPECT_EQ(productFromCpuid(0x19, 0x11), Product::kGenoa);
  EXPECT_EQ(productFromCpuid(0x19, 0xA0), Product::kGenoa);
  EXPECT_EQ(productFromCpuid(0x1A, 0x02), Product::kTurin);
  EXPECT_EQ(productFromCpuid(0x19, 0x20), std::nullopt);
  EXPECT_EQ(productFromCpuid(0x17, 0x01), std::nullopt);
  EXPECT_EQ(productFromName("Genoa"), Product::kGenoa);
  EXPECT_EQ(productFromName("genoa"), std::nullopt);
}

// ---- GHCB certificate table -------------------------------------------------------------

void putEntry(Bytes& t, std::string_view guid_hex, std::uint32_t offset, std::uint32_t length) {
  const Bytes g = cocoon::test::unhex(guid_hex);
  t.insert(t.end(), g.begin(), g.end());
  for (std::uint32_t v : {offset, length}) {
    for (int i = 0; i < 4; ++i) {
      t.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
}

constexpr std::string_view kVcekGuid = "63da758de6644564adc5f4b93be8accd";
constexpr std::string_view kArkGuid =
    "c0b406a4a80349529743"
    "3fb6014cd0ae";

TEST(SnpCertTable, ParsesEntriesUpToTheTerminator) {
  Bytes t;
  putEntry(t, kVcekGuid, 72, 3);
  putEntry(t, kArkGuid, 75, 2);
  putEntry(t, std::string(32, '0'), 0, 0);
  t.insert(t.end(), {0xA, 0xB, 0xC, 0xD, 0xE, 0, 0, 0});  // certificates, then page padding
  auto entries = parseCertTable(t);
  ASSERT_TRUE(entries) << entries.error().toString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].kind, CertKind::kVcek);
  EXPECT_EQ((*entries)[0].guid, "63da758d-e664-4564-adc5-f4b93be8accd");
  EXPECT_EQ((*entries)[0].data, (Bytes{0xA, 0xB, 0xC}));
  EXPECT_EQ((*entries)[1].kind, CertKind::kArk);
  EXPECT_EQ((*entries)[1].data, (Bytes{0xD, 0xE}));
  EXPECT_EQ(certKindFromGuid("A8074BC2-A25A-483E-AAE6-39C045A0B8A1"), CertKind::kVlek);
  EXPECT_EQ(certKindFromGuid("4ab7b379-bbac-4fe4-a02f-05aef327c782"), CertKind::kAsk);
  EXPECT_EQ(certKindFromGuid("00000000-0000-0000-0000-000000000001"), CertKind::kOther);
}

TEST(SnpCertTable, RejectsMissingTerminator) {
  Bytes t;
  putEntry(t, kVcekGuid, 0, 4);
  expectError(parseCertTable(t), Code::kInvalidArgument,
              "entry at offset 24 needs 24 bytes, 0 left (no all-zero terminator)");
  expectError(parseCertTable({}), Code::kInvalidArgument, "no all-zero terminator");
}

TEST(SnpCertTable, RejectsEntriesOutsideTheTable) {
  for (auto [offset, length] : {std::pair<std::uint32_t, std::uint32_t>{48, 1},
                                {47, 2},
                                {0xFFFFFFFF, 1},
                                {1, 0xFFFFFFFF},
                                {0, 0}}) {
    Bytes t;
    putEntry(t, kVcekGuid, offset, length);
    putEntry(t, std::string(32, '0'), 0, 0);
    expectError(parseCertTable(t), Code::kInvalidArgument,
                fmt::format("declares bytes {}..+{}, the table has 48", offset, length));
  }
}

TEST(SnpCertTable, CapsTheNumberOfEntries) {
  Bytes t;
  for (std::size_t i = 0; i <= kMaxCertEntries; ++i) {
    putEntry(t, kVcekGuid, 0, 1);
  }
  putEntry(t, std::string(32, '0'), 0, 0);
  expectError(parseCertTable(t), Code::kInvalidArgument, "more than 16 entries");
}

}  // namespace
}  // namespace cocoon::verify::snp
