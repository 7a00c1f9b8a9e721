// SPDX-License-Identifier: Apache-2.0
#include "verify/tdx/ccel.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "support/expect.h"
#include "verify/tdx/builders.h"
#include "verify/tdx/testdata.h"

namespace cocoon::verify::tdx {
namespace {

using cocoon::test::expectError;

struct ReplayCase {
  const char* file;
  const char* rtmr[4];
};

std::string hex(const Bytes& b) {
  return hexEncode(b);
}

constexpr const char* kZero =
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00";

// Expected RTMRs: trustee 78962cd4 deps/eventlog/src/lib.rs test_rtmr_integrity.
const ReplayCase kReplayCases[] = {
    {"tdx/CCEL_data",
     {"2dc712306a963eadb894ad47dbaa17df44814151555aee11cbb843becca88950ffd079664902e6f22c66f7c8"
      "213543f4",
      "0fa3be56af61208bbd179dc7b124988eb929319154663c539d6f46445ecac2fec287075047ff7bd1922829fe"
      "c28cd3cf",
      kZero, kZero}},
    {"tdx/CCEL_data_ovmf",
     {"8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc"
      "90abe193",
      "775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc"
      "210c13c6",
      "94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503b"
      "bf25f34a",
      kZero}},
    {"tdx/eventlog/CCEL_data_grub",
     {"cec0a104f691f60da2387fea3c2de00c4ac035e2bb479ff02edcce69039d9e9907f0b3e55031da3dc7038f42"
      "3adebd79",
      "6c289e0c62182d41ebe97bdbc9872d10998a08eaa86adcdc684001a363207ee72942c7522cdf00a4bbc3d784"
      "bed7b670",
      "08919d017ba0e52cd6d966351c7de16fe76c1d3d3d3da4554239e4c7d16cb8b82a94e7eaea3a0e6e18eb690b"
      "999fd31e",
      kZero}},
    {"tdx/eventlog/CCEL_data_gcp",
     {"3300980705adf09d28b707b79699d9874892164280832be2c386a715b6e204e0897fb564a064f810659207ba"
      "862b304f",
      "204d49f78d29918fe7b2f694e76653861a0c2a018987d2c3a54266eff737232524cf0af68c4d180e2f8c2c09"
      "37f21967",
      kZero, kZero}},
    {"tdx/eventlog/CCEL_data_grub_gke",
     {"bc9945139042cf2cc75caf920aa57f14884ecfd7e893bccc51250c8ce90eb53ce72741e6adaa18183eb1331a"
      "87d4544a",
      "c17cb288a4dee302bb9ed8d27257a168f3264ad68cab53757f37eeaa7039657fa887cad65cf910e0fdc435ff"
      "110f8a7b",
      "334aeba2c985f8886cea97d1ecffbd512769d528b9a94009583db667ad7d2faa7d37fa145d75b192ceee2d2f"
      "10b2eb6d",
      kZero}},
};

TEST(TdxCcel, ReplaysEveryPublishedLogToItsRtmrs) {
  for (const ReplayCase& c : kReplayCases) {
    auto bytes = test::evidenceFile(c.file);
    if (!bytes) {
      GTEST_SKIP() << "shared/testdata/evidence/" << c.file << " not found";
    }
    auto log = parseCcel(*bytes);
    ASSERT_TRUE(log) << c.file << ": " << log.error().toString();
    const auto rtmr = replayRtmrs(*log);
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(hex(rtmr[i]), c.rtmr[i]) << c.file << " RTMR" << i;
    }
  }
}

std::array<Hash384, 4> registers(const char* const (&hex)[4]) {
  std::array<Hash384, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) {
    const Bytes b = *hexDecode(hex[i]);
    std::copy(b.begin(), b.end(), out[i].begin());
  }
  return out;
}

// trustee deps/eventlog/src/lib.rs test_rtmr_integrity_error: a wrong reference fails and
// the error reports the replayed (correct) value.
TEST(TdxCcel, WrongReferenceRtmrNamesTheRegisterAndTheReplayedValue) {
  for (std::size_t which : {3u, 0u}) {  // CCEL_data_gcp RTMR0, CCEL_data RTMR1
    const ReplayCase& c = kReplayCases[which];
    auto bytes = test::evidenceFile(c.file);
    if (!bytes) {
      GTEST_SKIP() << c.file << " not found";
    }
    auto log = parseCcel(*bytes);
    ASSERT_TRUE(log);
    std::array<Hash384, 4> quoted = registers(c.rtmr);
    EXPECT_TRUE(matchRtmrs(*log, quoted));
    const std::size_t reg = which == 3 ? 0 : 1;
    if (reg == 0) {
      quoted[0][47] = 0x4d;  // ...862b304f -> ...862b304d
    } else {
      quoted[1][0] = 0x2f;  // 0fa3be56... -> 2fa3be56...
    }
    expectError(matchRtmrs(*log, quoted), Code::kPermissionDenied,
                fmt::format("RTMR{}: replaying the event log gives {}, the quote has {}", reg,
                            c.rtmr[reg], hexEncode(quoted[reg])));
  }
}

TEST(TdxCcel, ParsesAlibabaLogWithAppendedAael) {
  auto bytes = test::evidenceFile("tdx/eventlog/CCEL_AAEL_alibabacloud");
  if (!bytes) {
    GTEST_SKIP() << "CCEL_AAEL_alibabacloud not found";
  }
  auto log = parseCcel(*bytes);
  ASSERT_TRUE(log) << log.error().toString();
  EXPECT_GT(log->events.size(), 10u);
}

// trustee deps/eventlog/src/lib.rs test_query_digest: each log serializes exactly to its
// *_out.json. Device-path details (EV_EFI_BOOT_SERVICES_APPLICATION) are not decoded here,
// so those events are compared without their details.
TEST(TdxCcel, EventClaimsEqualTrusteeSerialization) {
  for (const char* name : {"CCEL_data", "CCEL_data_ovmf", "CCEL_data_grub", "CCEL_data_grub_gke",
                           "CCEL_AAEL_alibabacloud"}) {
    const std::string dir = std::string_view(name).starts_with("CCEL_data_") ||
                                    std::string_view(name) == "CCEL_AAEL_alibabacloud"
                                ? "tdx/eventlog/"
                                : "tdx/";
    auto log_bytes = test::evidenceFile(std::string_view(name) == "CCEL_data_ovmf"
                                            ? std::string("tdx/CCEL_data_ovmf")
                                            : dir + name);
    auto out = test::evidenceFile(std::string("tdx/eventlog/") + name + "_out.json");
    if (!log_bytes || !out) {
      GTEST_SKIP() << name << " not found";
    }
    auto expected = json::parseJson(toString(*out));
    ASSERT_TRUE(expected);
    auto log = parseCcel(*log_bytes);
    ASSERT_TRUE(log) << name << ": " << log.error().toString();
    json::Json got = ccelEventsJson(*log);
    const json::Json& want = expected->at("uefi_event_logs");
    ASSERT_EQ(got.size(), want.size()) << name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      json::Json g = got[i];
      json::Json w = want[i];
      if (w["type_name"] == "EV_EFI_BOOT_SERVICES_APPLICATION") {
        g.erase("details");
        w.erase("details");
      }
      EXPECT_EQ(g, w) << name << " event " << i;
    }
  }
}

TEST(TdxCcel, ReplaysBuiltLogAndSkipsNoActionEvents) {
  const Bytes a = toBytes("kernel"), b = toBytes("cmdline");
  const Bytes log = test::CcelBuilder()
                        .event(1, 0x80000001, a)
                        .event(2, kEvNoAction, b)
                        .event(2, 0xd, b)
                        .event(0, 0xd, b)
                        .build(4096);
  auto parsed = parseCcel(log);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(parsed->events.size(), 4u);
  const auto rtmr = replayRtmrs(*parsed);
  EXPECT_EQ(rtmr[0], test::extend384(Bytes(48, 0), crypto::sha384(a)));
  EXPECT_EQ(rtmr[1], test::extend384(Bytes(48, 0), crypto::sha384(b)));
  EXPECT_EQ(hex(rtmr[2]), kZero);
}

TEST(TdxCcel, RejectsTruncatedRecordsAndBadHeader) {
  const Bytes log = test::CcelBuilder().event(1, 0xd, toBytes("x")).build();
  constexpr std::size_t kHeaderEventSize = 65;  // a log may end after the header
  for (std::size_t n = 0; n < log.size(); ++n) {
    if (n == kHeaderEventSize) {
      continue;
    }
    auto r = parseCcel(ByteSpan(log).first(n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, Code::kOutOfRange) << n << r.error().toString();
  }
  Bytes bad = log;
  bad[32] = 'X';
  expectError(parseCcel(bad), Code::kInvalidArgument, "not 'Spec ID Event03'");
}

TEST(TdxCcel, RejectsUndeclaredAlgorithmAndOversizedData) {
  Bytes log = test::CcelBuilder().event(1, 0xd, toBytes("x")).build();
  const std::size_t event_at = log.size() - (4 + 4 + 4 + 2 + 48 + 4 + 1);
  log[event_at + 12] = 0x0b;  // SHA-256, not declared in the header
  expectError(parseCcel(log), Code::kInvalidArgument, "not in the header");
  log = test::CcelBuilder().event(1, 0xd, toBytes("x")).build();
  log[log.size() - 2] = 0xff;  // data size 0xff000001
  expectError(parseCcel(log), Code::kOutOfRange, "declares");
}

TEST(TdxCcel, EventClaimsNameTypesAndDecodeText) {
  const Bytes blob2 = {9, 'T', 'd', 'x', 'T', 'a', 'b', 'l', 'e', 0, 1, 2};
  const Bytes log = test::CcelBuilder()
                        .event(1, 0x8000000a, blob2)
                        .event(2, 0xd, toBytes(std::string_view("grub_cmd linux\0\0", 16)))
                        .event(1, 4, Bytes(4, 0))
                        .build();
  auto parsed = parseCcel(log);
  ASSERT_TRUE(parsed);
  const json::Json j = ccelEventsJson(*parsed);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["type_name"], "EV_EFI_PLATFORM_FIRMWARE_BLOB2");
  EXPECT_EQ(j[0]["details"]["string"], "TdxTable");
  EXPECT_EQ(j[0]["digest_matches_event"], true);
  EXPECT_EQ(j[1]["details"]["string"], "grub_cmd linux");
  EXPECT_EQ(j[2]["type_name"], "EV_SEPARATOR");
  EXPECT_EQ(j[2]["details"], json::Json::object());
  EXPECT_EQ(j[2]["digests"][0]["alg"], "SHA-384");
}

}  // namespace
}  // namespace cocoon::verify::tdx
