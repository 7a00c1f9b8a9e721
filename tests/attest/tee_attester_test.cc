// SPDX-License-Identifier: Apache-2.0
// The snp and tdx attesters and TEE detection against a configfs-tsm tree simulated in a
// temp dir holding captured real answers (testdata/evidence, see its README), and the
// device-message parsers against captured or built buffers.
#include <sys/socket.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "attest/attester.h"
#include "attest/environment.h"
#include "attest/snp.h"
#include "attest/snp/report.h"
#include "attest/tdx.h"
#include "attest/tdx/messages.h"
#include "attest/tdx/qgs.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/unique_fd.h"
#include "support/expect.h"

namespace cocoon::attest {
namespace {

namespace fs = std::filesystem;
using test::expectError;

Bytes testdata(const std::string& name) {
  auto b = readFile(fs::path(COCOON_TESTDATA_DIR) / "evidence" / name, 4 << 20);
  return b ? *b : Bytes{};
}

void writeText(const fs::path& p, ByteSpan data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::string readText(const fs::path& p) {
  auto t = readTextFile(p, 1 << 20);
  return t ? *t : "<missing>";
}

// configfs-tsm as the kernel presents it: a new entry has provider, generation and blobs;
// on removal the fake keeps what the attester wrote.
class FakeTsm : public TsmEntryOps {
 public:
  std::string provider = "sev_guest\n";
  std::string generation = "2\n";
  Bytes outblob;
  std::optional<Bytes> auxblob;
  std::string written_inblob;
  std::string written_privlevel;
  int entries_made = 0;

  Status makeEntry(const fs::path& entry) override {
    fs::create_directory(entry);
    ++entries_made;
    writeText(entry / "provider", asBytes(provider));
    writeText(entry / "generation", asBytes(generation));
    writeText(entry / "outblob", outblob);
    if (auxblob) {
      writeText(entry / "auxblob", *auxblob);
    }
    writeText(entry / "inblob", {});
    writeText(entry / "privlevel", {});
    return okStatus();
  }
  Status removeEntry(const fs::path& entry) override {
    written_inblob = readText(entry / "inblob");
    written_privlevel = readText(entry / "privlevel");
    fs::remove_all(entry);
    return okStatus();
  }
};

// One GHCB certificate table with a VCEK entry.
Bytes certTable(ByteSpan vcek) {
  const Bytes guid = *hexDecode("63da758de6644564adc5f4b93be8accd");
  Bytes t = guid;
  const std::uint32_t offset = 48;
  const auto length = static_cast<std::uint32_t>(vcek.size());
  for (std::uint32_t v : {offset, length}) {
    for (int i = 0; i < 4; ++i) {
      t.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  t.resize(48, 0);  // the all-zero terminating entry
  t.insert(t.end(), vcek.begin(), vcek.end());
  return t;
}

class TeeAttesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("tee-attester");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    env_.root = dir_->path();
    env_.tsm_ops = &tsm_;
    report_ = testdata("snp/test-report.bin");
    quote_ = testdata("tdx/tdx_quote_4.dat");
    if (report_.empty() || quote_.empty()) {
      GTEST_SKIP() << "testdata/evidence not found under " << COCOON_TESTDATA_DIR;
    }
  }
  void withConfigfs() { fs::create_directories(env_.tsmReportDir()); }
  void touch(const fs::path& p) { writeText(p, {}); }
  std::string paddedReportData() const {
    Bytes padded = report_data_;
    padded.resize(64, 0);
    return toString(padded);
  }

  std::optional<TempDir> dir_;
  FakeTsm tsm_;
  TeeEnvironment env_;
  Bytes report_;
  Bytes quote_;
  const Bytes report_data_ = Bytes(48, 0xab);
};

TEST_F(TeeAttesterTest, SnpConfigfsEvidenceIsCocoJson) {
  withConfigfs();
  const Bytes vcek = testdata("snp/test-vcek.der");
  tsm_.outblob = report_;
  tsm_.auxblob = certTable(vcek);
  auto attester = createSnpAttester({env_, std::nullopt, 0});
  ASSERT_TRUE(attester) << attester.error().toString();
  auto ev = (*attester)->evidence(report_data_);
  ASSERT_TRUE(ev) << ev.error().toString();

  EXPECT_EQ(tsm_.written_inblob, paddedReportData());
  EXPECT_EQ(tsm_.written_privlevel, "0");
  EXPECT_TRUE(fs::is_empty(env_.tsmReportDir())) << "the report entry was not removed";

  const json::Json& r = (*ev)["attestation_report"];
  EXPECT_EQ(r["version"], 2);
  EXPECT_EQ(r["reported_tcb"],
            json::Json::parse(R"({"fmc":null,"bootloader":3,"tee":0,"snp":8,"microcode":115})"));
  EXPECT_EQ(r["current"], json::Json::parse(R"({"major":1,"minor":52,"build":4})"));
  EXPECT_TRUE(r["cpuid_fam_id"].is_null());
  EXPECT_TRUE(r["launch_mit_vector"].is_null());
  EXPECT_EQ(hexEncode(r["measurement"].get<Bytes>()),
            "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be91"
            "7f9050d3d38c");
  EXPECT_EQ(hexEncode(r["chip_id"].get<Bytes>()).substr(0, 16), "c38427a30d4c7af9");
  EXPECT_EQ(r["signature"]["r"].size(), 72u);
  ASSERT_EQ((*ev)["cert_chain"].size(), 1u);
  EXPECT_EQ((*ev)["cert_chain"][0]["cert_type"], "VCEK");
  EXPECT_EQ((*ev)["cert_chain"][0]["data"].get<Bytes>(), vcek);
}

TEST_F(TeeAttesterTest, SnpWithoutAuxblobHasNullCertChain) {
  withConfigfs();
  tsm_.outblob = report_;
  auto ev = (*createSnpAttester({env_, TeeInterface::kConfigfsTsm, 0}))->evidence(report_data_);
  ASSERT_TRUE(ev) << ev.error().toString();
  EXPECT_TRUE((*ev)["cert_chain"].is_null());
}

TEST_F(TeeAttesterTest, ConfigfsGenerationRaceIsAborted) {
  withConfigfs();
  tsm_.outblob = report_;
  tsm_.generation = "3\n";
  auto ev = (*createSnpAttester({env_, TeeInterface::kConfigfsTsm, 0}))->evidence(report_data_);
  expectError(ev, Code::kAborted, "generation after reading outblob is 3, expected 2");
  EXPECT_TRUE(fs::is_empty(env_.tsmReportDir()));
}

TEST_F(TeeAttesterTest, ConfigfsOfAnotherTeeIsRefused) {
  withConfigfs();
  tsm_.provider = "tdx_guest\n";
  auto ev = (*createSnpAttester({env_, TeeInterface::kConfigfsTsm, 0}))->evidence(report_data_);
  expectError(ev, Code::kFailedPrecondition, "provider is \"tdx_guest\", expected \"sev_guest\"");
}

TEST_F(TeeAttesterTest, ReportDataOver64BytesIsRefused) {
  withConfigfs();
  auto ev = (*createSnpAttester({env_, TeeInterface::kConfigfsTsm, 0}))->evidence(Bytes(65, 1));
  expectError(ev, Code::kInvalidArgument, "65 bytes, at most 64");
  EXPECT_EQ(tsm_.entries_made, 0);
}

TEST_F(TeeAttesterTest, SnpWithoutAnyInterfaceIsNotFound) {
  expectError(createSnpAttester({env_, std::nullopt, 0}), Code::kNotFound, "dev/sev-guest");
  expectError(createSnpAttester({env_, TeeInterface::kTpm, 0}), Code::kInvalidArgument, "tpm");
}

TEST_F(TeeAttesterTest, TdxConfigfsEvidenceCarriesQuoteAndTrimmedCcel) {
  withConfigfs();
  tsm_.provider = "tdx_guest\n";
  tsm_.generation = "1\n";
  tsm_.outblob = quote_;
  const Bytes ccel = testdata("tdx/CCEL_data");
  writeText(env_.ccelTable(), ccel);
  auto attester = createTdxAttester({env_, std::nullopt});
  ASSERT_TRUE(attester) << attester.error().toString();
  auto ev = (*attester)->evidence(report_data_);
  ASSERT_TRUE(ev) << ev.error().toString();
  EXPECT_EQ(tsm_.written_inblob, paddedReportData());
  EXPECT_EQ(tsm_.written_privlevel, "");
  EXPECT_EQ((*ev)["quote"], base64Encode(quote_));
  auto log = base64Decode((*ev)["cc_eventlog"].get<std::string>());
  ASSERT_TRUE(log);
  ASSERT_GT(log->size(), 8u);
  ASSERT_LT(log->size(), ccel.size());
  EXPECT_TRUE(std::equal(log->begin(), log->end() - 8, ccel.begin()));
  EXPECT_EQ(Bytes(log->end() - 8, log->end()), Bytes(8, 0xFF));
}

TEST_F(TeeAttesterTest, TdxWithoutCcelSendsNullEventLog) {
  withConfigfs();
  tsm_.provider = "tdx_guest\n";
  tsm_.generation = "1\n";
  tsm_.outblob = quote_;
  auto ev = (*createTdxAttester({env_, TeeInterface::kConfigfsTsm}))->evidence(report_data_);
  ASSERT_TRUE(ev) << ev.error().toString();
  EXPECT_TRUE((*ev)["cc_eventlog"].is_null());
  EXPECT_EQ((*ev).size(), 2u);
}

TEST_F(TeeAttesterTest, DetectsConfigfsProviderThenDevicesThenTpm) {
  expectError(detectTee(env_, false), Code::kNotFound, "sample TEE is not enabled");
  auto sample = detectTee(env_, true);
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->tee, kbs_protocol::Tee::kSample);

  touch(env_.tpmDevice());
  EXPECT_EQ(detectTee(env_, false)->tee, kbs_protocol::Tee::kTpm);
  touch(env_.tdxGuestDevice());
  EXPECT_EQ(detectTee(env_, false)->tee, kbs_protocol::Tee::kTdx);
  EXPECT_EQ(detectTee(env_, false)->via, TeeInterface::kDevice);
  touch(env_.sevGuestDevice());
  EXPECT_EQ(detectTee(env_, false)->tee, kbs_protocol::Tee::kSnp);

  withConfigfs();
  tsm_.provider = "arm_cca_guest\n";  // not ours: the devices decide
  EXPECT_EQ(detectTee(env_, false)->via, TeeInterface::kDevice);
  tsm_.provider = "tdx_guest\n";
  auto found = detectTee(env_, false);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->tee, kbs_protocol::Tee::kTdx);
  EXPECT_EQ(found->via, TeeInterface::kConfigfsTsm);
  EXPECT_TRUE(fs::is_empty(env_.tsmReportDir()));
}

TEST_F(TeeAttesterTest, SampleIsRefusedUnlessEnabled) {
  AttesterConfig config;
  config.tee = "sample";
  config.env = env_;
  expectError(createAttester(config), Code::kFailedPrecondition, "not enabled");
  config.allow_sample = true;
  EXPECT_TRUE(createAttester(config));
  config.tee = "sgx";
  expectError(createAttester(config), Code::kInvalidArgument, "unknown TEE \"sgx\"");
}

// --- SNP messages -------------------------------------------------------------------

Bytes reportResponse(std::uint32_t status, std::uint32_t size, ByteSpan report) {
  Bytes r;
  for (std::uint32_t v : {status, size}) {
    for (int i = 0; i < 4; ++i) {
      r.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  r.resize(32, 0);
  r.insert(r.end(), report.begin(), report.end());
  r.resize(snp::kResponseSize, 0);
  return r;
}

TEST_F(TeeAttesterTest, SnpIoctlResponseGivesTheReport) {
  test::expectValue(snp::parseReportResponse(reportResponse(0, 1184, report_)), report_);
  expectError(snp::parseReportResponse(reportResponse(0x16, 1184, report_)), Code::kUnavailable,
              "status 0x16");
  expectError(snp::parseReportResponse(reportResponse(0, 1000, report_)), Code::kInvalidArgument,
              "declares 1000 report bytes");
  Bytes truncated = reportResponse(0, 1184, report_);
  truncated.resize(32 + 1183);
  expectError(snp::parseReportResponse(truncated), Code::kOutOfRange);
}

TEST_F(TeeAttesterTest, SnpReportRequestLayout) {
  Bytes req = snp::buildReportRequest(Bytes(64, 7), 2);
  ASSERT_EQ(req.size(), 96u);  // struct snp_report_req
  EXPECT_EQ(req[63], 7);
  EXPECT_EQ(req[64], 2);
  EXPECT_EQ(Bytes(req.begin() + 68, req.end()), Bytes(28, 0));
}

TEST_F(TeeAttesterTest, CertTableRejectsTruncationAndOutOfRangeEntries) {
  const Bytes table = certTable(Bytes(100, 0x30));
  for (std::size_t n = 0; n < 24; ++n) {
    expectError(snp::parseCertTable(ByteSpan(table).first(n)), Code::kOutOfRange);
  }
  for (std::size_t n = 24; n < table.size(); ++n) {  // the certificate is cut off first
    expectError(snp::parseCertTable(ByteSpan(table).first(n)), Code::kInvalidArgument, "entry 0");
  }
  Bytes bad = table;
  bad[21] = 0x01;  // length 100 + 256: past the end
  expectError(snp::parseCertTable(bad), Code::kInvalidArgument, "entry 0: offset 48 length 356");
  auto other = snp::certTypeJson({0x01});
  EXPECT_EQ(other, json::Json::parse(R"({"OTHER":"01000000-0000-0000-0000-000000000000"})"));
}

TEST_F(TeeAttesterTest, SnpReportJsonRefusesWhatTheSevCrateRefuses) {
  expectError(snp::reportToJson(ByteSpan(report_).first(1183)), Code::kInvalidArgument,
              "1183 bytes");
  Bytes v1 = report_;
  v1[0] = 1;
  expectError(snp::reportToJson(v1), Code::kInvalidArgument, "version 1");
  Bytes masked = report_;
  std::fill(masked.begin() + 0x1A0, masked.begin() + 0x1E0, 0);
  expectError(snp::reportToJson(masked), Code::kInvalidArgument, "masked chip_id");
  Bytes v3 = report_;
  v3[0] = 3;
  v3[0x188] = 0x17;
  expectError(snp::reportToJson(v3), Code::kInvalidArgument, "family 0x17");
  v3[0x188] = 0x1A;  // Turin: FMC first in every TCB
  auto turin = snp::reportToJson(v3);
  ASSERT_TRUE(turin);
  EXPECT_EQ((*turin)["reported_tcb"]["fmc"], 3);
  EXPECT_EQ((*turin)["cpuid_fam_id"], 0x1A);
}

// --- TDX messages -------------------------------------------------------------------

TEST_F(TeeAttesterTest, TdReportParses) {
  const Bytes report = testdata("tdx/tdx_report_1.bin");
  auto r = tdx::parseTdReport(report);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->report_type, tdx::kTdxReportType);
  EXPECT_EQ(hexEncode(r->mr_td).substr(0, 16), "98bbc39e3e27b4cb");
  expectError(tdx::parseTdReport(ByteSpan(report).first(1023)), Code::kOutOfRange);
  Bytes longer = report;
  longer.push_back(0);
  expectError(tdx::parseTdReport(longer), Code::kInvalidArgument, "1025 bytes");
  Bytes sgx = report;
  sgx[0] = 0;
  expectError(tdx::parseTdReport(sgx), Code::kInvalidArgument, "type 0x00");
}

Bytes qgsResponse(std::uint32_t error_code, ByteSpan id, ByteSpan quote,
                  std::size_t size_delta = 0) {
  Bytes m;
  auto u16 = [&](std::uint16_t v) {
    m.push_back(static_cast<std::uint8_t>(v));
    m.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      m.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  };
  const auto size = static_cast<std::uint32_t>(16 + 8 + id.size() + quote.size() + size_delta);
  u16(1);
  u16(0);
  u32(1);
  u32(size);
  u32(error_code);
  u32(static_cast<std::uint32_t>(id.size()));
  u32(static_cast<std::uint32_t>(quote.size()));
  m.insert(m.end(), id.begin(), id.end());
  m.insert(m.end(), quote.begin(), quote.end());
  return m;
}

TEST_F(TeeAttesterTest, QgsMessagesFollowQgsMsgLib) {
  Bytes req = tdx::buildQgsQuoteRequest(Bytes(1024, 9));
  ASSERT_EQ(req.size(), 4u + 16 + 8 + 1024);
  EXPECT_EQ(Bytes(req.begin(), req.begin() + 4), (Bytes{0, 0, 0x04, 0x18}));  // BE 1048
  EXPECT_EQ(Bytes(req.begin() + 4, req.begin() + 28), *hexDecode("01000000000000001804000000000000"
                                                                 "0004000000000000"));

  test::expectValue(tdx::parseQgsQuoteResponse(qgsResponse(0, Bytes(2, 1), quote_)), quote_);
  expectError(tdx::parseQgsQuoteResponse(qgsResponse(0x12001, {}, quote_)), Code::kUnavailable,
              "error code 0x12001");
  expectError(tdx::parseQgsQuoteResponse(qgsResponse(0, {}, quote_, 1)), Code::kInvalidArgument,
              "header size");
  expectError(tdx::parseQgsQuoteResponse(qgsResponse(0, {}, {})), Code::kDataLoss);
  Bytes wrong_sizes = qgsResponse(0, {}, quote_);
  wrong_sizes[20] ^= 1;  // quote_size no longer matches the bytes
  expectError(tdx::parseQgsQuoteResponse(wrong_sizes), Code::kInvalidArgument, "quote_size");
  const Bytes good = qgsResponse(0, {}, Bytes(4, 1));
  for (std::size_t n = 0; n < 24; ++n) {
    EXPECT_FALSE(tdx::parseQgsQuoteResponse(ByteSpan(good).first(n))) << n;
  }
}

TEST_F(TeeAttesterTest, QgsExchangeOverAStreamSocket) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd guest(fds[0]);
  UniqueFd host(fds[1]);
  const Bytes answer = qgsResponse(0, {}, quote_);
  std::thread qgs([&] {
    Bytes request(4 + 16 + 8 + 1024);
    std::size_t got = 0;
    while (got < request.size()) {
      const ssize_t n = ::recv(host.get(), request.data() + got, request.size() - got, 0);
      if (n <= 0) {
        return;
      }
      got += static_cast<std::size_t>(n);
    }
    const auto size = static_cast<std::uint32_t>(answer.size());
    Bytes framed{static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                 static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    framed.insert(framed.end(), answer.begin(), answer.end());
    (void)::send(host.get(), framed.data(), framed.size(), 0);
  });
  auto got = tdx::exchangeQgsMessage(guest.get(), tdx::buildQgsQuoteRequest(Bytes(1024, 9)),
                                     std::chrono::seconds(10));
  qgs.join();
  ASSERT_TRUE(got) << got.error().toString();
  test::expectValue(tdx::parseQgsQuoteResponse(*got), quote_);
}

TEST_F(TeeAttesterTest, QgsSilentOrClosingPeerIsAClearError) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd guest(fds[0]);
  UniqueFd host(fds[1]);
  expectError(tdx::exchangeQgsMessage(guest.get(), Bytes(8, 1), std::chrono::milliseconds(50)),
              Code::kDeadlineExceeded, "QGS did not answer in time");
  const Bytes huge{0x7f, 0, 0, 0};
  ASSERT_EQ(::send(host.get(), huge.data(), huge.size(), 0), 4);
  expectError(tdx::exchangeQgsMessage(guest.get(), Bytes(8, 1), std::chrono::seconds(5)),
              Code::kResourceExhausted, "2130706432-byte answer");
  int fresh[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fresh), 0);
  UniqueFd guest2(fresh[0]);
  ::close(fresh[1]);  // the QGS goes away before answering
  expectError(tdx::exchangeQgsMessage(guest2.get(), {}, std::chrono::seconds(5)),
              Code::kUnavailable, "closed the connection after 0 of 4 bytes");
}

TEST_F(TeeAttesterTest, CcelTrimmingIsIdempotentAndBounded) {
  const Bytes ccel = testdata("tdx/CCEL_data");
  auto once = tdx::trimCcel(ccel);
  ASSERT_TRUE(once) << once.error().toString();
  test::expectValue(tdx::trimCcel(*once), *once);
  Bytes no_end(once->begin(), once->end() - 8);
  expectError(tdx::trimCcel(no_end), Code::kOutOfRange, "without an end marker");
  expectError(tdx::trimCcel(ByteSpan(ccel).first(20)), Code::kOutOfRange);
}

}  // namespace
}  // namespace cocoon::attest
