// SPDX-License-Identifier: Apache-2.0
#include "kbs/policy/trust_vector.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::kbs::policy {
namespace {

using test::expectError;

TEST(TrustTier, FollowsAr4siBoundaries) {
  // draft-ietf-rats-ar4si §2.3.1 tiers; the boundary values are those of veraison/rust-ear
  // src/trust/claim.rs `tier()` tests.
  struct Case {
    int value;
    TrustTier tier;
  };
  const Case cases[] = {{0, TrustTier::kNone},
                        {1, TrustTier::kNone},
                        {-1, TrustTier::kNone},
                        {2, TrustTier::kAffirming},
                        {31, TrustTier::kAffirming},
                        {-2, TrustTier::kAffirming},
                        {-32, TrustTier::kAffirming},
                        {32, TrustTier::kWarning},
                        {95, TrustTier::kWarning},
                        {-33, TrustTier::kWarning},
                        {-96, TrustTier::kWarning},
                        {96, TrustTier::kContraindicated},
                        {127, TrustTier::kContraindicated},
                        {-97, TrustTier::kContraindicated},
                        {-128, TrustTier::kContraindicated}};
  for (const Case& c : cases) {
    EXPECT_EQ(trustTierOf(static_cast<std::int8_t>(c.value)), c.tier) << c.value;
  }
}

TEST(TrustVector, UnsetComponentsReadAsNoClaimAndStayOutOfJson) {
  TrustVector v;
  EXPECT_FALSE(v.anySet());
  EXPECT_EQ(v.value(TrustComponent::kHardware), kNoClaim);
  EXPECT_EQ(v.status(), TrustTier::kNone);
  EXPECT_EQ(v.toJson(), json::Json::object());
  v.set(TrustComponent::kExecutables, 2);
  v.set(TrustComponent::kSourcedData, 0);
  // rust-ear src/trust/vector.rs serde test: {"executables":2,"sourced-data":0}.
  EXPECT_EQ(json::dumpCompact(v.toJson()), R"({"executables":2,"sourced-data":0})");
}

TEST(TrustVector, StatusIsTheMostSevereTier) {
  TrustVector v;
  v.set(TrustComponent::kHardware, 2);
  EXPECT_EQ(v.status(), TrustTier::kAffirming);
  v.set(TrustComponent::kConfiguration, 36);
  EXPECT_EQ(v.status(), TrustTier::kWarning);
  v.set(TrustComponent::kRuntimeOpaque, 96);
  EXPECT_EQ(v.status(), TrustTier::kContraindicated);
}

TEST(TrustVector, RoundTripsThroughJson) {
  TrustVector v;
  v.set(TrustComponent::kInstanceIdentity, -5);
  v.set(TrustComponent::kFileSystem, 127);
  auto back = TrustVector::fromJson(v.toJson());
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(*back, v);
}

TEST(TrustVector, RejectsUnknownComponentsAndOutOfRangeValues) {
  expectError(TrustVector::fromJson(json::Json{{"firmware", 2}}), Code::kInvalidArgument,
              "unknown component \"firmware\"");
  // The JSON form uses the dashed names only.
  expectError(TrustVector::fromJson(json::Json{{"file_system", 2}}), Code::kInvalidArgument,
              "unknown component");
  expectError(TrustVector::fromJson(json::Json{{"hardware", 128}}), Code::kInvalidArgument,
              "\"hardware\" must be an integer in -128..127, found 128");
  expectError(TrustVector::fromJson(json::Json{{"hardware", -129}}), Code::kInvalidArgument);
  expectError(TrustVector::fromJson(json::Json{{"hardware", 18446744073709551615ULL}}),
              Code::kInvalidArgument);
  expectError(TrustVector::fromJson(json::Json{{"hardware", 2.0}}), Code::kInvalidArgument);
  expectError(TrustVector::fromJson(json::Json::array()), Code::kInvalidArgument,
              "expected an object");
}

TEST(TrustComponent, ParsesDashedAndSnakeCaseNames) {
  EXPECT_EQ(parseTrustComponent("instance_identity"), TrustComponent::kInstanceIdentity);
  EXPECT_EQ(parseTrustComponent("runtime-opaque"), TrustComponent::kRuntimeOpaque);
  EXPECT_EQ(parseTrustComponent("hw"), std::nullopt);
  EXPECT_EQ(trustComponentName(TrustComponent::kStorageOpaque), "storage-opaque");
  EXPECT_EQ(parseTrustTier("contraindicated"), TrustTier::kContraindicated);
  EXPECT_EQ(parseTrustTier("Warning"), std::nullopt);
}

}  // namespace
}  // namespace cocoon::kbs::policy
