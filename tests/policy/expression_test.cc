// SPDX-License-Identifier: Apache-2.0
#include "policy/expression.h"

#include <string>

#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "support/expect.h"

namespace cocoon::policy {
namespace {

using json::Json;
using test::expectError;

Result<Expr> compileText(const std::string& text, const Limits& limits = {}) {
  auto doc = parseDocument(text, limits);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  ExpressionCompiler compiler(limits, {{"claims"}, true});
  return compiler.compile(*doc, "/when");
}

bool holds(const std::string& text, const Json& input) {
  auto expr = compileText(text);
  EXPECT_TRUE(expr) << expr.error().toString();
  NoReferenceValues refs;
  Evaluation evaluation(input, refs);
  const bool result = evaluate(*expr, evaluation, 0);
  EXPECT_FALSE(evaluation.exhausted);
  return result;
}

const Json& input() {
  static const Json value = {
      {"mounts", Json::array({Json{{"type", "proc"}, {"options", Json::array({"ro"})}},
                              Json{{"type", "bind"}, {"options", Json::array({"rbind"})}}})},
      {"caps", {{"bounding", Json::array({"CAP_KILL"})}, {"ambient", Json::array()}}},
      {"claims", {{"svn", 3}}},
      {"text", "not a collection"}};
  return value;
}

TEST(PolicyQuantifiers, SomeHoldsWhenAnElementMatches) {
  EXPECT_TRUE(holds(R"({"some":["/mounts",{"eq":[{"claim":"@/type"},"bind"]}]})", input()));
  EXPECT_FALSE(holds(R"({"some":["/mounts",{"eq":[{"claim":"@/type"},"ext4"]}]})", input()));
}

TEST(PolicyQuantifiers, EveryHoldsWhenAllElementsMatch) {
  EXPECT_TRUE(holds(R"({"every":["/mounts",{"exists":"@/options/0"}]})", input()));
  EXPECT_FALSE(holds(R"({"every":["/mounts",{"in":["ro",{"claim":"@/options"}]}]})", input()));
}

TEST(PolicyQuantifiers, MissingOrScalarCollectionsHaveNoElements) {
  for (const char* path : {"/absent", "/text", "/claims/svn"}) {
    SCOPED_TRACE(path);
    EXPECT_FALSE(holds(std::string(R"({"some":[")") + path + R"(",{"exists":"@"}]})", input()));
    EXPECT_TRUE(
        holds(std::string(R"({"every":[")") + path + R"(",{"not":{"exists":"@"}}]})", input()));
  }
}

TEST(PolicyQuantifiers, IterateObjectValuesAndNestWithTheInnermostElement) {
  // Every capability set's every entry is CAP_KILL; the inner path "@" is the outer set.
  EXPECT_TRUE(
      holds(R"({"every":["/caps",{"every":["@",{"eq":[{"claim":"@"},"CAP_KILL"]}]}]})", input()));
  EXPECT_FALSE(holds(R"({"some":["/caps",{"some":["@",{"eq":[{"claim":"@"},"CAP_SYS_ADMIN"]}]}]})",
                     input()));
  // Paths from the root and bare names still resolve inside a quantifier.
  EXPECT_TRUE(holds(R"({"some":["/mounts",{"gte":[{"claim":"svn"},3]}]})", input()));
}

TEST(PolicyQuantifiers, RejectsMisuseAtCompileTime) {
  expectError(compileText(R"({"some":["/mounts"]})"), Code::kInvalidArgument,
              "policy /when/some: \"some\" takes an array of two operands, found 1 elements");
  expectError(compileText(R"({"every":[{"claim":"/mounts"},{"exists":"@"}]})"),
              Code::kInvalidArgument, "policy /when/every/0: expected a string, found object");
  expectError(compileText(R"({"exists":"@/type"})"), Code::kInvalidArgument,
              "policy /when/exists: claim path \"@/type\" names an element outside some/every");
  std::string nested = R"({"exists":"@"})";
  for (int i = 0; i < 5; ++i) {
    nested = R"({"some":["@",)" + nested + "]}";
  }
  nested = R"({"some":["/mounts",)" + nested + "]}";
  expectError(compileText(nested), Code::kInvalidArgument, "more than 4 nested some/every");
}

TEST(PolicyEvaluation, StopsAndFlagsWhenTheBudgetRunsOut) {
  auto expr = compileText(R"({"some":["/list",{"eq":[{"claim":"@"},-1]}]})");
  ASSERT_TRUE(expr);
  Json list = Json::array();
  for (int i = 0; i < 100; ++i) {
    list.push_back(i);
  }
  const Json in = {{"list", list}};
  NoReferenceValues refs;
  Evaluation enough(in, refs);
  enough.budget = 201;  // the node, then per element: the visit and the comparison
  EXPECT_FALSE(evaluate(*expr, enough, 0));
  EXPECT_FALSE(enough.exhausted);
  EXPECT_EQ(enough.budget, 0u);
  Evaluation short_of_one(in, refs);
  short_of_one.budget = 200;
  EXPECT_FALSE(evaluate(*expr, short_of_one, 0));
  EXPECT_TRUE(short_of_one.exhausted);
}

TEST(PolicyEvaluation, TracesQuantifiers) {
  auto expr = compileText(R"({"some":["/mounts",{"eq":[{"claim":"@/type"},"bind"]}]})");
  ASSERT_TRUE(expr);
  NoReferenceValues refs;
  Explanation trace;
  Evaluation evaluation(input(), refs);
  evaluation.trace = &trace;
  EXPECT_TRUE(evaluate(*expr, evaluation, 0));
  EXPECT_EQ(trace.toText(),
            "/when: some /mounts (2 elements visited) -> true\n"
            "  /when/some/1: eq claim @/type = \"proc\" vs \"bind\" -> false\n"
            "  /when/some/1: eq claim @/type = \"bind\" vs \"bind\" -> true\n");
}

}  // namespace
}  // namespace cocoon::policy
