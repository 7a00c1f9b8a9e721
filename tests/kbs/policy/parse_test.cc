// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include "kbs/policy/policy.h"
#include "support/expect.h"

namespace cocoon::kbs::policy {
namespace {

using test::expectError;

std::string attestation(const std::string& rules, const std::string& extra = "") {
  return R"({"version":1,"id":"p","rules":[)" + rules + "]" + extra + "}";
}

std::string resource(const std::string& rules, const std::string& default_decision = "deny") {
  return R"({"version":1,"id":"r","rules":[)" + rules + R"(],"default":")" + default_decision +
         "\"}";
}

TEST(PolicyParse, AcceptsEveryOperator) {
  const std::string when = R"({"all":[
      {"eq":[{"claim":"/tee"},"snp"]},
      {"in":[{"claim":"measurement"},{"reference":"snp.measurement"}]},
      {"in":[{"claim":"svn"},[1,2,3]]},
      {"prefix":[{"claim":"/claims/version"},"1."]},
      {"regex":[{"claim":"/claims/id"},"[a-f0-9]{8}"]},
      {"gte":[{"claim":"svn"},2]},
      {"lte":[{"claim":"svn"},{"claim":"/claims/max"}]},
      {"any":[]},
      {"not":{"exists":"/claims/debug"}}]})";
  auto policy = parseAttestationPolicy(
      attestation(R"({"id":"x","when":)" + when + R"(,"set":{"hardware":2}})",
                  R"(,"default":{"executables":33})"));
  ASSERT_TRUE(policy) << policy.error().toString();
  EXPECT_EQ(policy->id(), "p");
}

TEST(PolicyParse, RejectsUnknownOperatorWithItsPointer) {
  expectError(
      parseAttestationPolicy(
          attestation(R"({"when":{"any":[{"eq":[1,1]},{"equals":[1,1]}]},"set":{"hardware":2}})")),
      Code::kInvalidArgument, "policy /rules/0/when/any/1/equals: unknown operator \"equals\"");
}

TEST(PolicyParse, RejectsUnknownKeysEverywhere) {
  expectError(parseAttestationPolicy(attestation("", R"(,"owner":"me")")), Code::kInvalidArgument,
              "policy /owner: unknown key \"owner\"");
  expectError(parseAttestationPolicy(attestation(R"({"set":{"hardware":2},"priority":1})")),
              Code::kInvalidArgument, "policy /rules/0/priority: unknown key");
  expectError(parseAttestationPolicy(attestation(R"({"when":{"eq":[{"claims":"x"},1]},"set":{}})")),
              Code::kInvalidArgument, "policy /rules/0/when/eq/0/claims: unknown operand");
  expectError(parseAttestationPolicy(attestation(R"({"set":{"firmware":2}})")),
              Code::kInvalidArgument, "policy /rules/0/set/firmware: unknown trust component");
}

TEST(PolicyParse, RejectsWrongVersionAndMissingMembers) {
  expectError(parseAttestationPolicy(R"({"version":2,"id":"p","rules":[]})"),
              Code::kInvalidArgument, "policy /version: expected 1, found 2");
  expectError(parseAttestationPolicy(R"({"version":1,"rules":[]})"), Code::kInvalidArgument,
              "policy /: missing \"id\"");
  expectError(parseResourcePolicy(R"({"version":1,"id":"r","rules":[]})"), Code::kInvalidArgument,
              "missing \"default\"");
  expectError(parseResourcePolicy(resource("", "maybe")), Code::kInvalidArgument,
              "policy /default: expected \"allow\" or \"deny\"");
  expectError(parseAttestationPolicy("[1]"), Code::kInvalidArgument,
              "policy /: expected an object");
  expectError(parseAttestationPolicy("{\"version\":1,"), Code::kInvalidArgument, "policy: ");
}

TEST(PolicyParse, RejectsEffectsOfTheOtherKind) {
  expectError(parseAttestationPolicy(attestation(R"({"allow":"ok"})")), Code::kInvalidArgument,
              "policy /rules/0/allow: \"allow\" is not an effect of a attestation policy");
  expectError(parseResourcePolicy(resource(R"({"set":{"hardware":2}})")), Code::kInvalidArgument,
              "policy /rules/0/set: \"set\" is not an effect of a resource policy");
  expectError(parseResourcePolicy(resource(R"({"allow":"a","deny":"b"})")), Code::kInvalidArgument,
              "policy /rules/0: a rule needs exactly one effect");
  expectError(parseResourcePolicy(resource(R"({"when":{"exists":"/x"}})")), Code::kInvalidArgument,
              "exactly one effect");
}

TEST(PolicyParse, RejectsBadOperands) {
  auto rule = [](const std::string& when) {
    return resource(R"({"when":)" + when + R"(,"allow":"a"})");
  };
  expectError(parseResourcePolicy(rule(R"({"eq":[1]})")), Code::kInvalidArgument,
              "policy /rules/0/when/eq: \"eq\" takes an array of two operands, found 1 elements");
  expectError(parseResourcePolicy(rule(R"({"eq":[{"reference":"a"},{"reference":"b"}]})")),
              Code::kInvalidArgument, "\"eq\" of two references");
  expectError(parseResourcePolicy(rule(R"({"in":[{"claim":"/x"},"abc"]})")), Code::kInvalidArgument,
              "policy /rules/0/when/in/1: \"in\" needs an array");
  expectError(parseResourcePolicy(rule(R"({"in":[{"reference":"a"},[1]]})")),
              Code::kInvalidArgument, "policy /rules/0/when/in/0: a reference is allowed only");
  expectError(parseResourcePolicy(rule(R"({"gte":[{"claim":"/x"},"2"]})")), Code::kInvalidArgument,
              "\"gte\" needs a number");
  expectError(parseResourcePolicy(rule(R"({"prefix":[{"claim":"/x"},2]})")), Code::kInvalidArgument,
              "\"prefix\" needs a string");
  expectError(parseResourcePolicy(rule(R"({"regex":[{"claim":"/x"},{"claim":"/y"}]})")),
              Code::kInvalidArgument, "\"regex\" needs a literal pattern string");
  expectError(parseResourcePolicy(rule(R"({"exists":""})")), Code::kInvalidArgument,
              "policy /rules/0/when/exists: expected 1..");
  expectError(parseResourcePolicy(rule(R"({"exists":"/a~2b"})")), Code::kInvalidArgument,
              "'~' at offset 2 is not ~0 or ~1");
  expectError(parseResourcePolicy(rule(R"({"eq":[1,1],"not":{"eq":[1,1]}})")),
              Code::kInvalidArgument, "an object with one operator key");
  expectError(parseAttestationPolicy(attestation(R"({"set":{"hardware":200}})")),
              Code::kInvalidArgument, "policy /rules/0/set/hardware: expected an integer in");
  expectError(parseAttestationPolicy(attestation(R"({"set":{"hardware":2,"file_system":2,
                                                     "file-system":3}})")),
              Code::kInvalidArgument, "assigned twice");
}

TEST(PolicyParse, RejectsBadAndNonRegularRegexes) {
  auto rule = [](const std::string& pattern) {
    return resource(R"({"when":{"regex":[{"claim":"/x"},")" + pattern + R"("]},"allow":"a"})");
  };
  expectError(parseResourcePolicy(rule("(a")), Code::kInvalidArgument,
              "policy /rules/0/when/regex/1: regex: ");
  expectError(parseResourcePolicy(rule("(a)\\\\1")), Code::kInvalidArgument,
              "back-reference at offset 3 is not allowed");
  expectError(parseResourcePolicy(rule(std::string(257, 'a'))), Code::kResourceExhausted,
              "regex of 257 bytes, more than 256");
  EXPECT_TRUE(parseResourcePolicy(rule("a\\\\\\\\1")));  // an escaped backslash, then "1"
}

TEST(PolicyParse, CapsSizeDepthRulesAndNodes) {
  PolicyLimits limits;
  limits.max_bytes = 64;
  expectError(parseResourcePolicy(resource(R"({"allow":"a"})") + std::string(64, ' '), limits),
              Code::kResourceExhausted, "more than the cap of 64");

  std::string deep = R"({"eq":[1,1]})";
  for (int i = 0; i < 40; ++i) {
    deep = R"({"not":)" + deep + "}";
  }
  expectError(parseResourcePolicy(resource(R"({"when":)" + deep + R"(,"allow":"a"})")),
              Code::kResourceExhausted);

  limits = PolicyLimits{};
  limits.max_rules = 2;
  expectError(parseResourcePolicy(resource(R"({"allow":"a"},{"allow":"b"},{"allow":"c"})"), limits),
              Code::kResourceExhausted, "policy /rules: 3 rules, more than the cap of 2");

  limits = PolicyLimits{};
  limits.max_nodes = 10;
  expectError(
      parseResourcePolicy(
          resource(R"({"when":{"in":[{"claim":"/x"},[1,2,3,4,5,6,7,8,9]]},"allow":"a"})"), limits),
      Code::kResourceExhausted, "more than 10 nodes");
}

TEST(PolicyParse, DefaultPoliciesCompile) {
  EXPECT_TRUE(parseAttestationPolicy(defaultAttestationPolicyText()));
  EXPECT_TRUE(parseResourcePolicy(defaultResourcePolicyText()));
  EXPECT_TRUE(parseResourcePolicy(developmentResourcePolicyText()));
}

}  // namespace
}  // namespace cocoon::kbs::policy
