// SPDX-License-Identifier: Apache-2.0
#include "kbs_protocol/tee.h"

#include <string>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::kbs_protocol {
namespace {

// Every "tee" string of PROTOCOLS.md §1.1 (kbs-types Tee serde names).
TEST(Tee, EveryWireNameRoundTrips) {
  for (const char* name : {"sample", "sampledevice", "tdx", "sgx", "snp", "az-snp-vtpm",
                           "az-tdx-vtpm", "cca", "csv", "hygondcu", "se", "tpm", "nvidia"}) {
    auto tee = parseTee(name);
    ASSERT_TRUE(tee) << name;
    EXPECT_EQ(teeName(*tee), name);
  }
}

TEST(Tee, NamesMapToTheirEnumerators) {
  test::expectValue(parseTee("tdx"), Tee::kTdx);
  test::expectValue(parseTee("az-snp-vtpm"), Tee::kAzSnpVtpm);
  test::expectValue(parseTee("hygondcu"), Tee::kHygonDcu);
  test::expectValue(parseTee("sampledevice"), Tee::kSampleDevice);
}

TEST(Tee, RefusesUnknownNamesAsUnimplemented) {
  for (const char* name : {"", "TDX", "sev", "az_snp_vtpm", "tdx ", "sample-device"}) {
    test::expectError(parseTee(name), Code::kUnimplemented, "is not supported");
  }
}

}  // namespace
}  // namespace cocoon::kbs_protocol
