// SPDX-License-Identifier: Apache-2.0
#include "agent/policy/agent_policy.h"

#include <string>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::agent::policy {
namespace {

using json::Json;
using test::expectError;

std::string document(const std::string& rules, const std::string& default_effect = "allow") {
  return R"({"version":1,"id":"p","default":")" + default_effect + R"(","rules":[)" + rules + "]}";
}

AgentPolicy parsed(const std::string& text) {
  auto policy = parseAgentPolicy(text);
  EXPECT_TRUE(policy) << policy.error().toString();
  return std::move(*policy);
}

TEST(AgentPolicyParse, AcceptsRulesForNamedAndAllRequests) {
  auto policy = parseAgentPolicy(document(
      R"({"id":"a","requests":["ExecProcess","SignalProcess"],"effect":"deny","reason":"r",
          "when":{"eq":[{"claim":"/container_id"},"c1"]}},
         {"requests":"*","effect":"allow","reason":"all","description":"d"})",
      "deny"));
  ASSERT_TRUE(policy) << policy.error().toString();
  EXPECT_EQ(policy->id(), "p");
}

TEST(AgentPolicyParse, RejectsUnknownRequestNameWithItsPointer) {
  expectError(parseAgentPolicy(document(
                  R"({"requests":["StartContainer","Exec"],"effect":"deny","reason":"r"})")),
              Code::kInvalidArgument,
              "policy /rules/0/requests/1: unknown request \"Exec\" (not in the agent API)");
}

TEST(AgentPolicyParse, RejectsMalformedDocumentsWithPointers) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"[]", "policy /: expected an object, found array"},
      {R"({"version":1,"id":"p","rules":[]})", "policy /: missing \"default\""},
      {R"({"version":2,"id":"p","default":"allow","rules":[]})",
       "policy /version: expected 1, found 2"},
      {R"({"version":1,"id":"p","default":"maybe","rules":[]})",
       "policy /default: expected \"allow\" or \"deny\", found \"maybe\""},
      {R"({"version":1,"id":"p","default":"allow","rules":[],"owner":"me"})",
       "policy /owner: unknown key \"owner\""},
      {document(R"({"requests":"*","effect":"deny"})"), "policy /rules/0: missing \"reason\""},
      {document(R"({"requests":[],"effect":"deny","reason":"r"})"),
       "policy /rules/0/requests: expected \"*\" or a non-empty array of request names, "
       "found []"},
      {document(R"({"requests":"ExecProcess","effect":"deny","reason":"r"})"),
       "policy /rules/0/requests: expected \"*\" or a non-empty array of request names, "
       "found string"},
      {document(R"({"requests":["SetPolicy","SetPolicy"],"effect":"deny","reason":"r"})"),
       "policy /rules/0/requests/1: request \"SetPolicy\" listed twice"},
      {document(R"({"requests":"*","effect":"block","reason":"r"})"),
       "policy /rules/0/effect: expected \"allow\" or \"deny\", found \"block\""},
      {document(R"({"requests":"*","effect":"deny","reason":"r","priority":1})"),
       "policy /rules/0/priority: unknown key \"priority\""},
      {document(R"({"requests":"*","effect":"deny","reason":"r",
                    "when":{"any":[{"equals":[1,1]}]}})"),
       "policy /rules/0/when/any/0/equals: unknown operator \"equals\""},
      {document(R"({"requests":"*","effect":"deny","reason":"r",
                    "when":{"in":[{"claim":"/container_id"},{"reference":"ids"}]}})"),
       "policy /rules/0/when/in/1/reference: references are not available in this kind of "
       "policy"},
      {document(R"({"requests":"*","effect":"deny","reason":"r",
                    "when":{"eq":[{"claim":"@/Type"},"pid"]}})"),
       "policy /rules/0/when/eq/0/claim: claim path \"@/Type\" names an element outside "
       "some/every"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto policy = parseAgentPolicy(c.text);
    ASSERT_FALSE(policy);
    EXPECT_EQ(policy.error().code, Code::kInvalidArgument);
    EXPECT_EQ(policy.error().message, c.message);
  }
  expectError(parseAgentPolicy("{\"version\":1,"), Code::kInvalidArgument, "policy: ");
}

TEST(AgentPolicyParse, EnforcesCaps) {
  expectError(parseAgentPolicy(std::string(64 * 1024 + 1, ' ')), Code::kResourceExhausted,
              "policy: 65537 bytes, more than the cap of 65536");
  std::string rules;
  for (int i = 0; i < 257; ++i) {
    rules += std::string(i == 0 ? "" : ",") + R"({"requests":"*","effect":"deny","reason":"r"})";
  }
  expectError(parseAgentPolicy(document(rules)), Code::kResourceExhausted,
              "policy /rules: 257 rules, more than the cap of 256");
  std::string deep = R"({"exists":"/x"})";
  for (int i = 0; i < 40; ++i) {
    deep = R"({"not":)" + deep + "}";
  }
  expectError(parseAgentPolicy(
                  document(R"({"requests":"*","effect":"deny","reason":"r","when":)" + deep + "}")),
              Code::kResourceExhausted);
}

TEST(AgentPolicy, FirstMatchingRuleDecides) {
  auto policy = parsed(document(
      R"({"id":"allow-c1","requests":["ExecProcess"],"effect":"allow","reason":"debug c1",
          "when":{"eq":[{"claim":"container_id"},"c1"]}},
         {"id":"no-exec","requests":["ExecProcess"],"effect":"deny","reason":"no exec"},
         {"id":"c1-again","requests":"*","effect":"deny","reason":"never reached for exec"})"));
  AgentDecision decision = policy.evaluate("ExecProcess", Json{{"container_id", "c1"}});
  EXPECT_TRUE(decision.allow);
  EXPECT_EQ(decision.rule_id, "allow-c1");
  EXPECT_EQ(decision.reason, "debug c1");
  decision = policy.evaluate("ExecProcess", Json{{"container_id", "c2"}});
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.rule_id, "no-exec");
  decision = policy.evaluate("StartContainer", Json{{"container_id", "c2"}});
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.rule_id, "c1-again");
}

TEST(AgentPolicy, DefaultDecidesWhenNoRuleMatches) {
  auto deny = parsed(document(
      R"({"id":"start","requests":["StartContainer"],"effect":"allow","reason":"ok"})", "deny"));
  AgentDecision decision = deny.evaluate("PauseContainer", Json::object());
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.rule_id, "default");
  EXPECT_EQ(decision.reason, "no rule matched; default deny");
  auto allow = parsed(document(""));
  decision = allow.evaluate("PauseContainer", Json::object());
  EXPECT_TRUE(decision.allow);
  EXPECT_EQ(decision.reason, "no rule matched; default allow");
}

TEST(AgentPolicy, UnknownRequestNameMatchesOnlyStarRules) {
  auto policy = parsed(document(
      R"({"id":"named","requests":["CreateSandbox"],"effect":"allow","reason":"ok"},
         {"id":"rest","requests":"*","effect":"deny","reason":"not in the API"})"));
  EXPECT_EQ(policy.evaluate("CopyFile", Json::object()).rule_id, "rest");
  EXPECT_EQ(policy.evaluate("", Json::object()).rule_id, "rest");
}

TEST(AgentPolicy, CheckReturnsPermissionDeniedNamingTheRule) {
  auto policy = parsed(document(
      R"({"id":"no-logs","requests":["ReadStdout"],"effect":"deny","reason":"logs leak"})"));
  expectError(policy.check("ReadStdout", Json{{"container_id", "c"}}), Code::kPermissionDenied);
  EXPECT_EQ(policy.check("ReadStdout", Json::object()).error().message,
            "agent policy p: ReadStdout denied by rule no-logs: logs leak");
  EXPECT_TRUE(policy.check("ReadStderr", Json::object()));
}

TEST(AgentPolicy, SetPolicyCanBeAllowedForOneExactPolicy) {
  // The owner may let the host switch to one policy it names, and to no other.
  auto policy = parsed(document(
      R"({"id":"to-debug","requests":["SetPolicy"],"effect":"allow","reason":"known policy",
          "when":{"eq":[{"claim":"/policy"},"{\"version\":1}"]}},
         {"id":"no-set-policy","requests":["SetPolicy"],"effect":"deny","reason":"fixed"})"));
  EXPECT_TRUE(policy.check("SetPolicy", Json{{"policy", "{\"version\":1}"}}));
  EXPECT_EQ(policy.evaluate("SetPolicy", Json{{"policy", "{}"}}).rule_id, "no-set-policy");
}

TEST(AgentPolicy, HostileRequestsNeverFailEvaluation) {
  auto policy = parsed(document(
      R"json({"id":"cmd","requests":"*","effect":"deny","reason":"r",
          "when":{"any":[{"regex":[{"claim":"/OCI/Process/Args/0"},"/bin/(sh|bash)"]},
                         {"prefix":[{"claim":"/a/b/c/d"},"x"]},
                         {"some":["/OCI/Mounts",{"eq":[{"claim":"@/source"},"/"]}]}]}})json"));
  // A 4 MiB string (the ttrpc message cap), deep nesting where a path expects objects,
  // wrong types everywhere: rules just do not match.
  Json huge = {{"OCI", {{"Process", {{"Args", Json::array({std::string(4 << 20, 'a')})}}}}}};
  EXPECT_TRUE(policy.evaluate("CreateContainer", huge).allow);
  Json deep = Json::object();
  Json* innermost = &deep;
  for (int i = 0; i < 100000; ++i) {
    innermost = &((*innermost)["a"] = Json::object());
  }
  EXPECT_TRUE(policy.evaluate("CreateContainer", deep).allow);
  EXPECT_TRUE(policy.evaluate("CreateContainer", Json{{"OCI", {{"Mounts", "not a list"}}}}).allow);
  EXPECT_TRUE(policy.evaluate("CreateContainer", Json(nullptr)).allow);
  EXPECT_TRUE(policy.evaluate("CreateContainer", Json::array({1, 2})).allow);
}

TEST(AgentPolicy, RequestsBeyondTheBudgetAreDeniedWhateverTheRules) {
  // Every element is visited and compared: 2 steps per mount, so 60000 mounts exceed
  // the budget even though the rule would not match.
  auto policy = parsed(document(
      R"({"id":"bad-mount","requests":["CreateContainer"],"effect":"deny","reason":"r",
          "when":{"some":["/OCI/Mounts",{"eq":[{"claim":"@/source"},"/"]}]}})"));
  Json mounts = Json::array();
  for (int i = 0; i < 60000; ++i) {
    mounts.push_back(0);
  }
  Json request = {{"OCI", {{"Mounts", std::move(mounts)}}}};
  AgentDecision decision = policy.evaluate("CreateContainer", request);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.rule_id, kBudgetRuleId);
  EXPECT_EQ(decision.reason, "evaluating the request took more than 100000 steps");
  request["OCI"]["Mounts"].get_ref<Json::array_t&>().resize(1000);
  EXPECT_TRUE(policy.evaluate("CreateContainer", request).allow);
}

}  // namespace
}  // namespace cocoon::agent::policy
