// SPDX-License-Identifier: Apache-2.0
#include "verify/tpm/event_log.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/files.h"
#include "crypto/digest.h"
#include "support/expect.h"
#include "verify/tpm/builders.h"

namespace cocoon::verify::tpm {
namespace {

using cocoon::test::expectError;
using test::EventLogBuilder;
using test::extend;

const Bytes kA = crypto::sha256(asBytes("shim"));
const Bytes kB = crypto::sha256(asBytes("grub"));

TEST(TpmEventLog, ReplaysSha256BankFromPcClientInitialValues) {
  const Bytes log = EventLogBuilder().event(4, kA).event(4, kB).event(18, kA).build();
  auto r = replayEventLog(log);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->events, 3u);
  EXPECT_EQ(*r->pcrs[4], extend(extend(Bytes(32, 0), kA), kB));
  EXPECT_EQ(*r->pcrs[18], extend(Bytes(32, 0xff), kA));  // DRTM PCRs start at ones
  EXPECT_FALSE(r->pcrs[0]);
}

TEST(TpmEventLog, StartupLocalitySetsPcr0AndNoActionIsNotExtended) {
  const Bytes log = EventLogBuilder().startupLocality(3).event(0, kA).event(1, kB, 3).build();
  auto r = replayEventLog(log);
  ASSERT_TRUE(r) << r.error().toString();
  Bytes pcr0(32, 0);
  pcr0.back() = 3;
  EXPECT_EQ(*r->pcrs[0], extend(pcr0, kA));
  EXPECT_FALSE(r->pcrs[1]);
}

TEST(TpmEventLog, RejectsTruncationsInsideRecords) {
  EventLogBuilder b;
  b.event(4, kA).event(5, kB);
  const Bytes full = b.build();
  for (std::size_t n = 0; n < full.size(); ++n) {
    if (n == b.eventOffsets()[0] || n == b.eventOffsets()[1]) {
      continue;  // a log may end after any whole record
    }
    auto r = replayEventLog(ByteSpan(full).first(n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, Code::kOutOfRange) << n << ": " << r.error().toString();
  }
}

TEST(TpmEventLog, RejectsBadHeaderAndPcrIndex) {
  Bytes log = EventLogBuilder().event(4, kA).build();
  log[32] = 'X';  // inside the "Spec ID Event03" signature
  expectError(replayEventLog(log), Code::kInvalidArgument, "not 'Spec ID Event03'");

  EventLogBuilder pcr;
  pcr.event(24, kA);
  expectError(replayEventLog(pcr.build()), Code::kInvalidArgument, "PCR 24 above 23");
}

// A real crypto-agile log (TDX CCEL from trustee deps/eventlog/test_data/CCEL_data, see
// shared/testdata/evidence/README.md): its header parses; it measures with SHA-384 only,
// which a TPM SHA-256 bank replay must refuse.
TEST(TpmEventLog, RealCcelLogHasNoSha256Digests) {
  auto data =
      readFile(std::filesystem::path(COCOON_TESTDATA_DIR) / "evidence/tdx/CCEL_data", 2 << 20);
  if (!data) {
    GTEST_SKIP() << "shared/testdata/evidence/tdx/CCEL_data not found";
  }
  expectError(replayEventLog(*data), Code::kInvalidArgument, "has no SHA-256 digest");
}

}  // namespace
}  // namespace cocoon::verify::tpm
