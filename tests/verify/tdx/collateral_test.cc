// SPDX-License-Identifier: Apache-2.0
#include "verify/tdx/collateral.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include "common/files.h"

#include "support/expect.h"
#include "verify/tdx/builders.h"
#include "verify/tdx/pck.h"
#include "verify/tdx/roots.h"
#include "verify/tdx/testdata.h"

namespace cocoon::verify::tdx {
namespace {

using cocoon::test::expectError;

// ---- TCB evaluation (QVL TcbLevelCheck / TdxModuleCheck convergence) ----

struct Platform {
  TcbInfo tcb;
  QeIdentity qe;
  std::array<std::uint8_t, 16> pck_components{};
  std::uint16_t pce_svn = 11;
  TdReportBody body;
  EnclaveReport qe_report;

  Platform() {
    pck_components.fill(3);
    body.tee_tcb_svn = {5, 3, 2};  // TDX module isvsvn 5, major version 3
    TcbLevel up{};
    up.sgx_components.fill(3);
    up.pce_svn = 13;
    up.tdx_components = {0, 0, 2};
    up.status = "UpToDate";
    TcbLevel conf = up;
    conf.pce_svn = 5;
    conf.status = "ConfigurationNeeded";
    conf.advisory_ids = {"INTEL-SA-00837"};
    tcb.levels = {up, conf};
    tcb.module_identities = {{"TDX_03", {}, {}, {}, {{3, "UpToDate"}, {1, "OutOfDate"}}}};
    qe.levels = {{4, "UpToDate"}, {2, "OutOfDate"}};
    qe_report.isv_svn = 4;
  }
  Result<TcbEvaluation> evaluate() const {
    return evaluateTcb(tcb, qe, pck_components, pce_svn, body, qe_report);
  }
};

TEST(TdxTcb, PicksFirstLevelAtOrBelowThePlatform) {
  Platform p;
  auto e = p.evaluate();
  ASSERT_TRUE(e) << e.error().toString();
  EXPECT_EQ(e->status, "ConfigurationNeeded");  // PCESVN 11 < 13
  EXPECT_EQ(e->advisory_ids, std::vector<std::string>{"INTEL-SA-00837"});
  p.pce_svn = 13;
  EXPECT_EQ(p.evaluate()->status, "UpToDate");
}

TEST(TdxTcb, ComparesTdxComponentsFromByteTwoWhenModuleVersionIsSet) {
  Platform p;
  p.pce_svn = 13;
  p.tcb.levels[0].tdx_components = {9, 9, 2};  // bytes 0-1 belong to the module identity
  EXPECT_EQ(p.evaluate()->status, "UpToDate");
  p.body.tee_tcb_svn[1] = 0;  // TDX 1.0 module: all 16 bytes count
  p.tcb.levels[0].tdx_components = {9, 0, 2};
  p.tcb.levels[1].tdx_components = {9, 0, 2};
  expectError(p.evaluate(), Code::kNotFound, "no TCB level of FMSPC");
}

TEST(TdxTcb, OutOfDateModuleOrQeDowngradesTheStatus) {
  Platform p;
  p.pce_svn = 13;
  p.body.tee_tcb_svn[0] = 2;  // below TDX_03's UpToDate isvsvn 3
  auto e = p.evaluate();
  EXPECT_EQ(e->tdx_module_status, "OutOfDate");
  EXPECT_EQ(e->status, "OutOfDate");
  p = Platform();
  p.qe_report.isv_svn = 3;  // QE level OutOfDate, platform ConfigurationNeeded
  EXPECT_EQ(p.evaluate()->status, "OutOfDateConfigurationNeeded");
  p.qe.levels = {{4, "UpToDate"}, {0, "Revoked"}};
  EXPECT_EQ(p.evaluate()->status, "Revoked");
}

TEST(TdxTcb, RefusesQeOrModuleIdentityMismatch) {
  Platform p;
  p.qe_report.mr_signer[0] = 1;
  expectError(p.evaluate(), Code::kPermissionDenied, "QE report mrsigner");
  p = Platform();
  p.qe.isvprodid = 2;
  expectError(p.evaluate(), Code::kPermissionDenied, "isvprodid 0 is not the QE identity's 2");
  p = Platform();
  p.body.mr_signer_seam[0] = 1;
  expectError(p.evaluate(), Code::kPermissionDenied, "do not match TDX_03");
  p = Platform();
  p.body.tee_tcb_svn[1] = 4;
  expectError(p.evaluate(), Code::kNotFound, "no TDX module identity TDX_04");
}

// ---- Collateral documents ----

TEST(TdxCollateral, ParsesRealTcbInfoAndQeIdentity) {
  auto tcb_text = test::evidenceFile("tdx/tcbInfo.json");
  auto qe_text = test::evidenceFile("tdx/enclaveIdentity.json");
  if (!tcb_text || !qe_text) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  auto signer = intelTcbSigningCertificate().publicKey();
  ASSERT_TRUE(signer);
  // trustee intel_dcap/collateral_service.rs: id TDX, version 3, fmspc 00A06D080000, pceId
  // 0000, tdxModule.attributesMask FF x 8; TD_QE version 2, miscselect 0, mask FF x 4.
  auto tcb = parseTcbInfo(toString(*tcb_text), *signer);
  ASSERT_TRUE(tcb) << tcb.error().toString();
  EXPECT_EQ(tcb->fmspc, (std::array<std::uint8_t, 6>{0x00, 0xa0, 0x6d, 0x08, 0, 0}));
  EXPECT_EQ(tcb->tcb_evaluation_data_number, 17);
  EXPECT_EQ(tcb->module_attributes_mask,
            (std::array<std::uint8_t, 8>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(tcb->next_update, *parseUtcTime("2025-11-26T13:07:17Z"));
  auto qe = parseQeIdentity(toString(*qe_text), *signer);
  ASSERT_TRUE(qe) << qe.error().toString();
  EXPECT_EQ(qe->miscselect, 0u);
  EXPECT_EQ(qe->miscselect_mask, 0xffffffffu);
  EXPECT_EQ(qe->isvprodid, 2);
}

TEST(TdxCollateral, RefusesWrongSignerShapeAndId) {
  auto tcb_text = test::evidenceFile("tdx/tcbInfo.json");
  if (!tcb_text) {
    GTEST_SKIP() << "collateral vectors not found";
  }
  const std::string text = toString(*tcb_text);
  auto other = crypto::Key::generate(crypto::KeyType::kEcP256);
  expectError(parseTcbInfo(text, *other), Code::kUnauthenticated, "TCB info signature");
  auto signer = intelTcbSigningCertificate().publicKey();
  expectError(parseTcbInfo("{\"tcbInfo\":{}}", *signer), Code::kInvalidArgument,
              "as PCS serves it");
  expectError(parseQeIdentity(text, *signer), Code::kInvalidArgument, "enclaveIdentity");
}

TEST(TdxCollateral, ParsesOnlyStrictUtcTimes) {
  EXPECT_TRUE(parseUtcTime("2025-10-27T13:07:17Z"));
  for (const char* bad : {"2025-10-27T13:07:17", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
                          "2025-10-27 13:07:17Z", "2025-10-27T24:00:00Z", "",
                          // outside the nanosecond clock's range (found by the fuzzer)
                          "0514-10-28T06:45:09Z", "9999-12-31T23:59:59Z"}) {
    expectError(parseUtcTime(bad), Code::kInvalidArgument, "time");
  }
}

// ---- PCK SGX extension ----

TEST(TdxPck, ParsesRealPckExtension) {
  auto bytes = test::evidenceFile("tdx/tdx_quote_6.dat");
  if (!bytes) {
    GTEST_SKIP() << "tdx_quote_6.dat not found";
  }
  auto q = parseTdxQuote(*bytes);
  auto chain = crypto::Certificate::parsePemBundle(q->pck_chain_pem);
  auto pck = parsePckExtensions(**chain->front().extensionValue(kSgxExtensionOid));
  ASSERT_TRUE(pck) << pck.error().toString();
  EXPECT_EQ(pck->fmspc, (std::array<std::uint8_t, 6>{0x00, 0xa0, 0x6d, 0x08, 0, 0}));
  EXPECT_EQ(pck->pce_svn, 11);
  EXPECT_EQ(pck->cpu_svn_components[2], 7);
  EXPECT_EQ(pck->sgx_type, 2);  // Scalable with integrity (ENUMERATED 2 in the DER)
}

TEST(TdxPck, RejectsTruncatedAndIncompleteExtensions) {
  const Bytes ext = test::sgxExtension({1, 2, 3, 4, 5, 6}, 2, 11);
  auto ok = parsePckExtensions(ext);
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_EQ(ok->pce_svn, 11);
  for (std::size_t n = 0; n < ext.size(); ++n) {
    EXPECT_FALSE(parsePckExtensions(ByteSpan(ext).first(n))) << n;
  }
  Bytes wrong_tag = ext;
  wrong_tag[0] = 0x31;
  expectError(parsePckExtensions(wrong_tag), Code::kInvalidArgument, "tag 0x31");
}

// What a DirectoryCollateralSource read is served from memory while the files stat the
// same, and read again when a file's size/mtime/inode or the directory changes.
TEST(DirectoryCollateralSource, ServesUnchangedFilesFromMemoryAndSeesChanges) {
  auto dir = TempDir::create("tdx-collateral");
  ASSERT_TRUE(dir);
  const auto tcb = dir->path() / "tcbInfo.json";
  const auto qe = dir->path() / "qeIdentity.json";
  ASSERT_TRUE(writeFileAtomic(tcb, asBytes("tcb-1")));
  ASSERT_TRUE(writeFileAtomic(qe, asBytes("qe-1")));
  const DirectoryCollateralSource source(dir->path());
  const std::array<std::uint8_t, 6> fmspc{};
  auto first = source.fetch(fmspc);
  ASSERT_TRUE(first && *first) << first.error().toString();
  EXPECT_EQ((*first)->tcb_info, "tcb-1");

  // Same size, same inode, mtime put back: indistinguishable by stat, so the memory copy.
  struct stat before {};
  ASSERT_EQ(::stat(tcb.c_str(), &before), 0);
  {
    std::FILE* f = std::fopen(tcb.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_GE(std::fputs("tcb-2", f), 0);
    ASSERT_EQ(std::fclose(f), 0);
  }
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, tcb.c_str(), times, 0), 0);
  EXPECT_EQ((*source.fetch(fmspc))->tcb_info, "tcb-1");

  // A new mtime: read again.
  const struct timespec later[2] = {before.st_atim,
                                    {before.st_mtim.tv_sec + 1, before.st_mtim.tv_nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, tcb.c_str(), later, 0), 0);
  EXPECT_EQ((*source.fetch(fmspc))->tcb_info, "tcb-2");

  // A CRL added to the directory (the directory's stamp changes).
  EXPECT_TRUE((*source.fetch(fmspc))->crls.empty());
  ASSERT_TRUE(writeFileAtomic(dir->path() / "root.crl", asBytes("crl")));
  auto with_crl = source.fetch(fmspc);
  ASSERT_TRUE(with_crl && *with_crl);
  ASSERT_EQ((*with_crl)->crls.size(), 1U);

  // Replaced by rename (new inode, same size): read again.
  ASSERT_TRUE(writeFileAtomic(qe, asBytes("qe-2")));
  EXPECT_EQ((*source.fetch(fmspc))->qe_identity, "qe-2");
}

}  // namespace
}  // namespace cocoon::verify::tdx
