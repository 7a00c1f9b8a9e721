// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kbs/policy/policy.h"

namespace cocoon::kbs::policy {
namespace {

using json::Json;
using ::testing::HasSubstr;

// Claims shaped like a verifier's (src/verify/verifier.h): flat keys, hex byte strings.
Json snpInput() {
  return makeAttestationInput("snp",
                              Json{{"measurement", "aa11"},
                                   {"report_data", "00ff"},
                                   {"tpm.pcr08", "0000"},
                                   {"svn", 7},
                                   {"big", 18446744073709551615ULL},
                                   {"version", "1.55.3"},
                                   {"debug", false},
                                   {"list", Json::array({"x", "y"})}},
                              Json{{"aa.toml", "..."}},
                              Json{{"nonce", "n"}, {"tee-pubkey", {{"kty", "EC"}}}});
}

// Whether `when` holds for an attestation input (bare claim names: input "claims").
bool holds(const std::string& when, const Json& input = snpInput(),
           const ReferenceValues& refs = NoReferenceValues()) {
  auto policy = parseAttestationPolicy(R"({"version":1,"id":"t","rules":[{"when":)" + when +
                                       R"(,"set":{"hardware":2}}]})");
  EXPECT_TRUE(policy) << policy.error().toString();
  return policy && policy->evaluate(input, refs).vector.isSet(TrustComponent::kHardware);
}

// Whether `when` holds for a resource input (bare names: the token's annotated evidence).
bool allows(const std::string& when, const Json& input) {
  auto policy = parseResourcePolicy(R"({"version":1,"id":"t","rules":[{"when":)" + when +
                                    R"(,"allow":"yes"}],"default":"deny"})");
  EXPECT_TRUE(policy) << policy.error().toString();
  return policy && policy->evaluate(input, NoReferenceValues()).allow;
}

TEST(PolicyEvaluate, ComparesClaimsByPointerAndBareName) {
  EXPECT_TRUE(holds(R"({"eq":[{"claim":"/tee"},"snp"]})"));
  EXPECT_TRUE(holds(R"({"eq":[{"claim":"/claims/measurement"},"aa11"]})"));
  EXPECT_TRUE(holds(R"({"eq":[{"claim":"/claims/list/1"},"y"]})"));
  EXPECT_FALSE(holds(R"({"eq":[{"claim":"/claims/list/01"},"y"]})"));
  EXPECT_FALSE(holds(R"({"eq":[{"claim":"/claims/list/2"},"y"]})"));
  EXPECT_FALSE(holds(R"({"eq":[{"claim":"/tee"},"tdx"]})"));
}

TEST(PolicyEvaluate, BareNamesResolveInTheKindsClaims) {
  // Attestation: under "claims"; a flat key with a dot is one token.
  auto attestation = parseAttestationPolicy(
      R"({"version":1,"id":"a","rules":[{"when":{"eq":[{"claim":"tpm.pcr08"},"0000"]},
          "set":{"executables":2}}]})");
  ASSERT_TRUE(attestation);
  EXPECT_EQ(attestation->evaluate(snpInput(), NoReferenceValues())
                .vector.value(TrustComponent::kExecutables),
            2);
  // Resource: under the token's cpu0 annotated evidence.
  Json token = {
      {"submods", {{"cpu0", {{"ear.veraison.annotated-evidence", {{"snp", {{"svn", 3}}}}}}}}}};
  const Json input = makeResourceInput("a/b/c", token);
  EXPECT_TRUE(allows(
      R"({"gte":[{"claim":"/token/submods/cpu0/ear.veraison.annotated-evidence/snp/svn"},3]})",
      input));
  EXPECT_TRUE(allows(R"({"exists":"snp"})", input));
  EXPECT_FALSE(allows(R"({"exists":"tdx"})", input));
  EXPECT_TRUE(allows(R"({"eq":[{"claim":"/resource_path"},"a/b/c"]})", input));
}

TEST(PolicyEvaluate, MissingClaimsNeverMatchComparisons) {
  EXPECT_FALSE(holds(R"({"eq":[{"claim":"/claims/nope"},null]})"));
  EXPECT_FALSE(holds(R"({"gte":[{"claim":"/claims/nope"},0]})"));
  EXPECT_TRUE(holds(R"({"not":{"exists":"/claims/nope"}})"));
  EXPECT_FALSE(holds(R"({"eq":[{"claim":"/tee/deeper"},"snp"]})"));
}

TEST(PolicyEvaluate, ReferencesAreListsOfAcceptedValues) {
  MapReferenceValues refs;
  refs.set("snp.measurement", {"0000", "aa11"});
  EXPECT_TRUE(holds(R"({"in":[{"claim":"measurement"},{"reference":"snp.measurement"}]})",
                    snpInput(), refs));
  EXPECT_TRUE(holds(R"({"eq":[{"claim":"measurement"},{"reference":"snp.measurement"}]})",
                    snpInput(), refs));
  EXPECT_TRUE(holds(R"({"eq":[{"reference":"snp.measurement"},{"claim":"measurement"}]})",
                    snpInput(), refs));
  refs.set("snp.measurement", {"bb22"});
  EXPECT_FALSE(holds(R"({"in":[{"claim":"measurement"},{"reference":"snp.measurement"}]})",
                     snpInput(), refs));
  // An unknown reference matches nothing.
  EXPECT_FALSE(
      holds(R"({"in":[{"claim":"measurement"},{"reference":"other"}]})", snpInput(), refs));
}

TEST(PolicyEvaluate, InPrefixAndNumbers) {
  EXPECT_TRUE(holds(R"({"in":[{"claim":"svn"},[5,6,7]]})"));
  EXPECT_FALSE(holds(R"({"in":[{"claim":"svn"},["7"]]})"));
  EXPECT_TRUE(holds(R"({"in":["x",{"claim":"list"}]})"));
  EXPECT_TRUE(holds(R"({"prefix":[{"claim":"version"},"1.55"]})"));
  EXPECT_FALSE(holds(R"({"prefix":[{"claim":"svn"},"7"]})"));
  EXPECT_TRUE(holds(R"({"gte":[{"claim":"svn"},7]})"));
  EXPECT_FALSE(holds(R"({"gte":[{"claim":"svn"},7.5]})"));
  EXPECT_TRUE(holds(R"({"lte":[{"claim":"svn"},7.0]})"));
  EXPECT_TRUE(holds(R"({"gte":[{"claim":"svn"},-1]})"));
  // 2^64-1 compares exactly, not through double (where it equals 2^64).
  EXPECT_TRUE(holds(R"({"gte":[{"claim":"big"},18446744073709551615]})"));
  EXPECT_FALSE(holds(R"({"gte":[{"claim":"big"},18446744073709551616.0]})"));
  EXPECT_TRUE(holds(R"({"lte":[-5,{"claim":"svn"}]})"));
  EXPECT_FALSE(holds(R"({"lte":[{"claim":"version"},9]})"));
}

TEST(PolicyEvaluate, RegexMatchesTheWholeString) {
  EXPECT_TRUE(holds(R"({"regex":[{"claim":"version"},"1\\.[0-9]+\\.[0-9]+"]})"));
  EXPECT_FALSE(holds(R"({"regex":[{"claim":"version"},"1\\.55"]})"));
  // POSIX leftmost-longest: the longer alternative makes the full match.
  EXPECT_TRUE(holds(R"({"regex":["ab","a|ab"]})"));
  // An alternative matching a substring is not a match of the whole string.
  EXPECT_FALSE(holds(R"({"regex":["ab","a|b"]})"));
  EXPECT_FALSE(holds(R"({"regex":["xab","ab"]})"));
  EXPECT_FALSE(holds(R"({"regex":[{"claim":"svn"},"7"]})"));
  Json input = snpInput();
  input["claims"]["long"] = std::string(kMaxRegexInputBytes + 1, 'a');
  EXPECT_FALSE(holds(R"({"regex":[{"claim":"long"},"a*"]})", input));
  input["claims"]["long"] = std::string(kMaxRegexInputBytes, 'a');
  EXPECT_TRUE(holds(R"({"regex":[{"claim":"long"},"a*"]})", input));
  input["claims"]["nul"] = std::string("a\0a", 3);
  EXPECT_FALSE(holds(R"({"regex":[{"claim":"nul"},"a.a"]})", input));
}

TEST(PolicyEvaluate, BooleanCombinators) {
  EXPECT_TRUE(holds(R"({"all":[]})"));
  EXPECT_FALSE(holds(R"({"any":[]})"));
  EXPECT_TRUE(holds(R"({"any":[{"eq":[1,2]},{"eq":[2,2]}]})"));
  EXPECT_FALSE(holds(R"({"all":[{"eq":[1,1]},{"eq":[1,2]}]})"));
  EXPECT_TRUE(holds(R"({"not":{"eq":[{"claim":"debug"},true]}})"));
}

TEST(AttestationPolicy, FirstAssignmentOfAComponentWins) {
  auto policy = parseAttestationPolicy(R"({"version":1,"id":"p","rules":[
      {"id":"specific","when":{"eq":[{"claim":"svn"},7]},"set":{"executables":2}},
      {"id":"general","set":{"executables":33,"configuration":2}}],
    "default":{"hardware":97,"executables":96}})");
  ASSERT_TRUE(policy) << policy.error().toString();
  AttestationDecision d = policy->evaluate(snpInput(), NoReferenceValues());
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.policy_id, "p");
  EXPECT_EQ(d.vector.get(TrustComponent::kExecutables), 2);
  EXPECT_EQ(d.vector.get(TrustComponent::kConfiguration), 2);
  EXPECT_EQ(d.vector.get(TrustComponent::kHardware), 97);
  EXPECT_FALSE(d.vector.isSet(TrustComponent::kFileSystem));
  EXPECT_EQ(d.vector.status(), TrustTier::kContraindicated);
  EXPECT_EQ(d.explanation, "allowed by policy \"p\"; status contraindicated");
}

TEST(AttestationPolicy, DenyRuleStopsEvaluation) {
  auto policy = parseAttestationPolicy(R"({"version":1,"id":"p","rules":[
      {"set":{"hardware":2}},
      {"id":"no-debug","when":{"eq":[{"claim":"debug"},false]},"deny":"debug must be on"},
      {"set":{"executables":2}}]})");
  ASSERT_TRUE(policy);
  AttestationDecision d = policy->evaluate(snpInput(), NoReferenceValues());
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.explanation, "denied by rule \"no-debug\" of policy \"p\": debug must be on");
  EXPECT_FALSE(d.vector.isSet(TrustComponent::kExecutables));
}

TEST(AttestationPolicy, DeniesWhenNothingIsSet) {
  auto policy = parseAttestationPolicy(
      R"({"version":1,"id":"p","rules":[{"when":{"eq":[1,2]},"set":{"hardware":2}}]})");
  ASSERT_TRUE(policy);
  AttestationDecision d = policy->evaluate(snpInput(), NoReferenceValues());
  EXPECT_FALSE(d.allow);
  EXPECT_THAT(d.explanation, HasSubstr("set no trustworthiness claim"));
}

TEST(ResourcePolicy, FirstMatchingRuleDecidesElseDefault) {
  auto policy = parseResourcePolicy(R"({"version":1,"id":"r","rules":[
      {"id":"secret","when":{"prefix":[{"claim":"/resource_path"},"prod/"]},"deny":"no prod"},
      {"id":"all","allow":"everything else"},
      {"id":"never","deny":"unreachable"}],"default":"deny"})");
  ASSERT_TRUE(policy);
  ResourceDecision d = policy->evaluate(makeResourceInput("prod/key/1", {}), NoReferenceValues());
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule_id, "secret");
  EXPECT_EQ(d.reason, "no prod");
  d = policy->evaluate(makeResourceInput("dev/key/1", {}), NoReferenceValues());
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule_id, "all");

  auto empty = parseResourcePolicy(R"({"version":1,"id":"e","rules":[],"default":"allow"})");
  ASSERT_TRUE(empty);
  d = empty->evaluate(makeResourceInput("a/b/c", {}), NoReferenceValues());
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule_id, "default");
  EXPECT_EQ(d.reason, "no rule matched; default allow");
}

TEST(PolicyExplain, TracesRulesAndComparedValues) {
  auto policy = parseAttestationPolicy(R"({"version":1,"id":"p","rules":[
      {"id":"tee","when":{"all":[{"eq":[{"claim":"/tee"},"tdx"]}]},"set":{"hardware":2}},
      {"id":"ref","when":{"in":[{"claim":"measurement"},{"reference":"m"}]},
       "set":{"executables":2}}],"default":{"hardware":97}})");
  ASSERT_TRUE(policy);
  MapReferenceValues refs;
  refs.set("m", {"aa11"});
  Explanation trace;
  AttestationDecision d = policy->explain(snpInput(), refs, trace);
  EXPECT_EQ(trace.toText(),
            "/rules/0: rule \"tee\"\n"
            "  /rules/0/when: all of 1 -> false\n"
            "    /rules/0/when/all/0: eq claim /tee = \"snp\" vs \"tdx\" -> false\n"
            "/rules/1: rule \"ref\"\n"
            "  /rules/1/when: in claim measurement = \"aa11\" vs reference m (1 values) -> true\n"
            "  /rules/1: set executables = 2\n"
            "  /default: set hardware = 97\n"
            "allowed by policy \"p\"; status contraindicated\n");
  // explain() decides exactly as evaluate() does.
  AttestationDecision plain = policy->evaluate(snpInput(), refs);
  EXPECT_EQ(plain.vector, d.vector);
  EXPECT_EQ(plain.explanation, d.explanation);
}

TEST(PolicyExplain, CutsLongValues) {
  Json input = snpInput();
  input["claims"]["blob"] = std::string(200, 'b');
  auto policy = parseResourcePolicy(
      R"({"version":1,"id":"r","rules":[{"when":{"eq":[{"claim":"/claims/blob"},"x"]},
          "allow":"a"}],"default":"deny"})");
  ASSERT_TRUE(policy);
  Explanation trace;
  ResourceDecision d = policy->explain(input, NoReferenceValues(), trace);
  EXPECT_FALSE(d.allow);
  ASSERT_EQ(trace.lines.size(), 3u);
  EXPECT_EQ(trace.lines[1].text,
            "eq claim /claims/blob = \"" + std::string(79, 'b') + "... vs \"x\" -> false");
  EXPECT_EQ(trace.lines[2].text, "denied by rule \"default\": no rule matched; default deny");
}

}  // namespace
}  // namespace cocoon::kbs::policy
