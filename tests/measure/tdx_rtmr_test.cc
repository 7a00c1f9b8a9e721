// SPDX-License-Identifier: Apache-2.0
#include "measure/tdx_rtmr.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"

namespace cocoon::measure {
namespace {

Sha384 sha384Hex(std::string_view hex) {
  auto bytes = hexDecode(hex);
  EXPECT_TRUE(bytes && bytes->size() == 48);
  Sha384 out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string hexOf(const Sha384& d) {
  return hexEncode(ByteSpan(d));
}

// Event digests of the real OVMF direct-boot log shared/testdata/evidence/tdx/CCEL_data_ovmf
// (trustee deps/verifier/test_data), index 2 (RTMR1) and 3 (RTMR2), in log order; the
// kernel, initrd and command line behind them are not published.
constexpr std::string_view kOvmfKernelPe =
    "a2ccae1e7d6c668ca325bb09c882d8ce44d26d714ba6f58d2e8083fe291a704646afe24a2368bca3341728d78ec80a"
    "80";
constexpr std::string_view kOvmfCalling =
    "77a0dab2312b4e1e57a84d865a21e5b2ee8d677a21012ada819d0a98988078d3d740f6346bfe0abaa938ca20439a8d"
    "71";
constexpr std::string_view kOvmfExitInvocation =
    "214b0bef1379756011344877743fdc2a5382bac6e70362d624ccf3f654407c1b4badf7d8f9295dd3dabdef65b27677"
    "e0";
constexpr std::string_view kOvmfExitReturned =
    "0a2e01c85deae718a530ad8c6d20a84009babe6c8989269e950d8cf440c6e997695e64d455c4174a652cd080f6230b"
    "74";
constexpr std::string_view kOvmfLoadOptions =
    "4230f84885a6f3f305e91a1955045398bd9edd8ffd2aaf2aab8ad3ac53476c4ac82a3675ef559c4ae949a06e84119f"
    "c2";
constexpr std::string_view kOvmfInitrd =
    "b15af9286108d3d8c9f794a51409e55bad6334f5d96a1e4469f8df2d75fd69aac648d939e13daf6800e82e6c1f6628"
    "c4";

TEST(TdxRtmr, OvmfActionStringsAreTheLogsEvents) {
  EXPECT_EQ(hexEncode(crypto::sha384(asBytes(kCallingEfiApplication))), kOvmfCalling);
  EXPECT_EQ(hexEncode(crypto::sha384(asBytes(kExitBootServicesInvocation))), kOvmfExitInvocation);
  EXPECT_EQ(hexEncode(crypto::sha384(asBytes(kExitBootServicesReturned))), kOvmfExitReturned);
}

// The events ovmfDirectBootEvents() generates, with the kernel, LoadOptions and initrd
// digests taken from the log, replay to the log's RTMR1/RTMR2; the expected values are
// the replay trustee's eventlog test asserts (testdata README: RTMR1 775b9f6b…210c13c6,
// RTMR2 94eaf7a7…bf25f34a).
TEST(TdxRtmr, OvmfDirectBootEventsReplayToTheRealLogsRtmrs) {
  // A one-byte "kernel" is no PE: the calculator refuses it, naming the kernel.
  auto bad = ovmfDirectBootEvents(asBytes("k"), {}, "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_NE(bad.error().toString().find("kernel"), std::string::npos) << bad.error().toString();

  std::vector<Sha384> rtmr1 = {sha384Hex(kOvmfKernelPe), sha384Hex(kOvmfCalling),
                               sha384Hex(kOvmfExitInvocation), sha384Hex(kOvmfExitReturned)};
  std::vector<Sha384> rtmr2 = {sha384Hex(kOvmfLoadOptions), sha384Hex(kOvmfInitrd)};
  EXPECT_EQ(
      hexOf(replayRtmr(rtmr1)),
      "775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1f"
      "c210c13c6");
  EXPECT_EQ(
      hexOf(replayRtmr(rtmr2)),
      "94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503"
      "bbf25f34a");
}

TEST(TdxRtmr, OvmfLoadOptionsAreUtf16WithInitrdSuffix) {
  EXPECT_EQ(hexEncode(ovmfLoadOptions("ro", false)), "72006f000000");
  EXPECT_EQ(toString(ovmfLoadOptions("a", true)).size(), 2 * (1 + 14) + 2);
  EXPECT_TRUE(ovmfLoadOptions("", false).empty());
  const Bytes with_initrd = ovmfLoadOptions("", true);
  EXPECT_EQ(with_initrd[0], ' ');
  EXPECT_EQ(with_initrd[2], 'i');
}

// td-shim log shared/testdata/evidence/tdx/CCEL_data: RTMR1 events are the separator, the
// td_payload digest (5b7aa657…, payload not published) and td_payload_info, whose data is
// the command line "root=/dev/vda1 console=hvc0 rw" padded to 4096; the replay is
// trustee's expected RTMR1 0fa3be56…28cd3cf (testdata README), RTMR2 zero.
TEST(TdxRtmr, TdShimEventsReproduceTheRealLogsRtmr1) {
  const Sha384 payload = sha384Hex(
      "5b7aa6572f649714ff00b6a2b9170516a068fd1a0ba72aa8de27574131d454e6396d3bfa1727d9baf42161"
      "8a942977fa");
  auto events = tdShimEvents(payload, "root=/dev/vda1 console=hvc0 rw");
  ASSERT_TRUE(events) << events.error().toString();
  ASSERT_EQ(events->rtmr1.size(), 3U);
  EXPECT_EQ(hexOf(events->rtmr1[0]),
            "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9effc60e1"
            "ad9f1289f0");
  EXPECT_EQ(hexOf(events->rtmr1[2]),
            "64ed1e5a47e8632f80faf428465bd987af3e8e4ceb10a5a9f387b6302e30f4993bded2331f0691c4a38ad3"
            "4e4cbbc627");
  EXPECT_EQ(hexOf(replayRtmr(events->rtmr1)),
            "0fa3be56af61208bbd179dc7b124988eb929319154663c539d6f46445ecac2fec287075047ff7bd1922829"
            "fec28cd3cf");
  EXPECT_TRUE(events->rtmr2.empty());
  EXPECT_EQ(hexOf(replayRtmr(events->rtmr2)), std::string(96, '0'));
}

TEST(TdxRtmr, TdShimRefusesACommandLineOverItsArea) {
  auto r = tdShimEvents(Sha384{}, std::string(kTdShimPayloadInfoSize + 1, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().message,
            "td-shim command line of 4097 bytes exceeds its 4096-byte payload parameter area");
}

}  // namespace
}  // namespace cocoon::measure
