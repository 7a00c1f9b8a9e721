// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include "kbs/policy/policy.h"

namespace cocoon::kbs::policy {
namespace {

using json::Json;

AttestationDecision appraise(const std::string& tee) {
  auto policy = parseAttestationPolicy(defaultAttestationPolicyText());
  EXPECT_TRUE(policy) << policy.error().toString();
  return policy->evaluate(makeAttestationInput(tee, Json::object(), nullptr, Json::object()),
                          NoReferenceValues());
}

// The claims of an EAR token (kbs/token) with one cpu0 appraisal.
Json token(const std::string& tee, const std::string& status, bool development_only = false) {
  Json submod = {{"ear.status", status},
                 {"ear.veraison.annotated-evidence", {{tee, Json::object()}}}};
  if (development_only) {
    submod["cocoon.development-only"] = true;
  }
  return {{"submods", {{"cpu0", submod}}}};
}

ResourceDecision release(std::string_view policy_text, const Json& claims) {
  auto policy = parseResourcePolicy(policy_text);
  EXPECT_TRUE(policy) << policy.error().toString();
  return policy->evaluate(makeResourceInput("default/key/1", claims), NoReferenceValues());
}

TEST(DefaultAttestationPolicy, HardwareTeesAreGenuine) {
  AttestationDecision snp = appraise("snp");
  EXPECT_TRUE(snp.allow);
  EXPECT_EQ(snp.policy_id, "default");
  EXPECT_EQ(snp.vector.get(TrustComponent::kHardware), 2);
  EXPECT_EQ(snp.vector.get(TrustComponent::kRuntimeOpaque), 2);
  EXPECT_EQ(snp.vector.status(), TrustTier::kAffirming);

  AttestationDecision tpm = appraise("tpm");
  EXPECT_TRUE(tpm.allow);
  EXPECT_EQ(tpm.vector.get(TrustComponent::kHardware), 2);
  EXPECT_FALSE(tpm.vector.isSet(TrustComponent::kRuntimeOpaque));
}

TEST(DefaultAttestationPolicy, SampleIsAllowedButContraindicated) {
  for (const char* tee : {"sample", "sampledevice"}) {
    AttestationDecision d = appraise(tee);
    EXPECT_TRUE(d.allow) << tee;
    EXPECT_EQ(d.vector.get(TrustComponent::kHardware), 96) << tee;
    EXPECT_EQ(d.vector.status(), TrustTier::kContraindicated) << tee;
  }
}

TEST(DefaultAttestationPolicy, UnknownTeeHardwareIsUnrecognized) {
  AttestationDecision d = appraise("quantum");
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.vector.get(TrustComponent::kHardware), kUnrecognizedHardware);
}

TEST(DefaultResourcePolicy, DeniesSampleEvidence) {
  ResourceDecision d = release(defaultResourcePolicyText(), token("sample", "affirming"));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule_id, "deny-sample");
  EXPECT_FALSE(release(defaultResourcePolicyText(), token("sampledevice", "affirming")).allow);
  // The development-only marker alone is enough.
  d = release(defaultResourcePolicyText(), token("snp", "affirming", true));
  EXPECT_EQ(d.rule_id, "deny-sample");
}

TEST(DefaultResourcePolicy, DeniesContraindicatedAndAllowsTheRest) {
  ResourceDecision d = release(defaultResourcePolicyText(), token("snp", "contraindicated"));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule_id, "deny-contraindicated");
  d = release(defaultResourcePolicyText(), token("snp", "affirming"));
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule_id, "default");
  EXPECT_TRUE(release(defaultResourcePolicyText(), token("tpm", "warning")).allow);
}

TEST(DevelopmentResourcePolicy, ReleasesToSampleEvidence) {
  ResourceDecision d = release(developmentResourcePolicyText(), token("sample", "contraindicated"));
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule_id, "allow-sample");
  EXPECT_FALSE(release(developmentResourcePolicyText(), token("snp", "contraindicated")).allow);
}

}  // namespace
}  // namespace cocoon::kbs::policy
