// SPDX-License-Identifier: Apache-2.0
// Agent policy documents (docs/agent-policy.md): rules per request name around
// expressions of the shared policy language, first matching rule decides.
#include "agent/policy/agent_policy.h"

#include <array>
#include <bitset>
#include <optional>
#include <utility>
#include <vector>

#include "policy/compiler.h"
#include "policy/expression.h"

namespace cocoon::agent::policy {

namespace engine = ::cocoon::policy;

namespace detail {

// The agent API of issue #8, in kata's spelling (grpc.AgentService method names).
constexpr std::array<std::string_view, 19> kRequestNames = {
    "CreateSandbox",   "DestroySandbox",  "CreateContainer", "StartContainer", "RemoveContainer",
    "ExecProcess",     "SignalProcess",   "WaitProcess",     "ReadStdout",     "ReadStderr",
    "WriteStdin",      "CloseStdin",      "TtyWinResize",    "StatsContainer", "PauseContainer",
    "ResumeContainer", "UpdateContainer", "GetGuestDetails", "SetPolicy"};

struct AgentRule {
  std::string id;  // as written, or "#<index>"
  std::bitset<kRequestNames.size()> requests;
  bool all_requests = false;  // "*"
  bool allow = false;
  std::optional<engine::Expr> when;  // absent: always matches
  std::string reason;
};

struct CompiledAgentPolicy {
  std::string id;
  bool default_allow = false;
  std::vector<AgentRule> rules;
};

}  // namespace detail

namespace {

using detail::AgentRule;
using detail::CompiledAgentPolicy;
using detail::kRequestNames;
using engine::checkRules;
using engine::childPointer;
using engine::compileCommonMember;
using engine::invalidAt;
using engine::kMaxIdBytes;
using engine::kMaxTextBytes;
using engine::stringAt;
using json::Json;

// Request names are host input and go into messages: print at most this much of one.
constexpr std::size_t kMaxShownNameBytes = 64;

std::optional<std::size_t> requestIndex(std::string_view name) {
  for (std::size_t i = 0; i < kRequestNames.size(); ++i) {
    if (kRequestNames[i] == name) {
      return i;
    }
  }
  return std::nullopt;
}

Result<bool> effectAt(const Json& value, const std::string& where) {
  if (value == "allow" || value == "deny") {
    return value == "allow";
  }
  return invalidAt(where, "expected \"allow\" or \"deny\", found {}", json::dumpCompact(value));
}

class Compiler {
 public:
  explicit Compiler(const engine::Limits& limits)
      : limits_(limits), expressions_(limits, {{}, /*allow_references=*/false}) {}

  Result<std::unique_ptr<const CompiledAgentPolicy>> run(std::string_view text) {
    COCOON_ASSIGN_OR_RETURN(Json doc, engine::parseDocument(text, limits_));
    auto policy = std::make_unique<CompiledAgentPolicy>();
    COCOON_TRY(compileDocument(doc, *policy));
    return std::unique_ptr<const CompiledAgentPolicy>(std::move(policy));
  }

 private:
  Status compileDocument(const Json& doc, CompiledAgentPolicy& policy) {
    if (!doc.is_object()) {
      return invalidAt("", "expected an object, found {}", doc.type_name());
    }
    for (const auto& [key, value] : doc.items()) {
      const std::string where = childPointer("", key);
      COCOON_ASSIGN_OR_RETURN(bool common, compileCommonMember(key, value, where, policy.id));
      if (common) {
        continue;
      }
      if (key == "default") {
        COCOON_ASSIGN_OR_RETURN(policy.default_allow, effectAt(value, where));
      } else if (key == "rules") {
        COCOON_TRY(compileRules(value, where, policy));
      } else {
        return invalidAt(where, "unknown key \"{}\"", key);
      }
    }
    for (const char* required : {"version", "id", "default", "rules"}) {
      if (!doc.contains(required)) {
        return invalidAt("", "missing \"{}\"", required);
      }
    }
    return okStatus();
  }

  Status compileRules(const Json& value, const std::string& where, CompiledAgentPolicy& policy) {
    COCOON_TRY(checkRules(value, where, limits_));
    for (std::size_t i = 0; i < value.size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(AgentRule rule, compileRule(value[i], childPointer(where, i), i));
      policy.rules.push_back(std::move(rule));
    }
    return okStatus();
  }

  Result<AgentRule> compileRule(const Json& value, const std::string& where, std::size_t index) {
    if (!value.is_object()) {
      return invalidAt(where, "expected a rule object, found {}", value.type_name());
    }
    AgentRule rule;
    rule.id = "#" + std::to_string(index);
    for (const auto& [key, v] : value.items()) {
      const std::string at = childPointer(where, key);
      if (key == "id") {
        COCOON_ASSIGN_OR_RETURN(rule.id, stringAt(v, at, kMaxIdBytes));
      } else if (key == "description") {
        COCOON_TRY(stringAt(v, at, kMaxTextBytes));
      } else if (key == "requests") {
        COCOON_TRY(compileRequests(v, at, rule));
      } else if (key == "effect") {
        COCOON_ASSIGN_OR_RETURN(rule.allow, effectAt(v, at));
      } else if (key == "when") {
        COCOON_ASSIGN_OR_RETURN(rule.when, expressions_.compile(v, at));
      } else if (key == "reason") {
        COCOON_ASSIGN_OR_RETURN(rule.reason, stringAt(v, at, kMaxTextBytes));
      } else {
        return invalidAt(at, "unknown key \"{}\"", key);
      }
    }
    for (const char* required : {"requests", "effect", "reason"}) {
      if (!value.contains(required)) {
        return invalidAt(where, "missing \"{}\"", required);
      }
    }
    return rule;
  }

  // "*" or a non-empty array of distinct request names of the agent API.
  static Status compileRequests(const Json& value, const std::string& where, AgentRule& rule) {
    if (value == "*") {
      rule.all_requests = true;
      return okStatus();
    }
    if (!value.is_array() || value.empty()) {
      return invalidAt(where, "expected \"*\" or a non-empty array of request names, found {}",
                       value.is_array() ? "[]" : value.type_name());
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string at = childPointer(where, i);
      COCOON_ASSIGN_OR_RETURN(std::string name, stringAt(value[i], at, kMaxIdBytes));
      auto index = requestIndex(name);
      if (!index) {
        return invalidAt(at, "unknown request \"{}\" (not in the agent API)", name);
      }
      if (rule.requests.test(*index)) {
        return invalidAt(at, "request \"{}\" listed twice", name);
      }
      rule.requests.set(*index);
    }
    return okStatus();
  }

  const engine::Limits& limits_;
  engine::ExpressionCompiler expressions_;
};

bool applies(const AgentRule& rule, std::optional<std::size_t> request) {
  return rule.all_requests || (request && rule.requests.test(*request));
}

}  // namespace

AgentPolicy::AgentPolicy(std::unique_ptr<const detail::CompiledAgentPolicy> compiled)
    : compiled_(std::move(compiled)) {}
AgentPolicy::AgentPolicy(AgentPolicy&&) noexcept = default;
AgentPolicy& AgentPolicy::operator=(AgentPolicy&&) noexcept = default;
AgentPolicy::~AgentPolicy() = default;

const std::string& AgentPolicy::id() const {
  return compiled_->id;
}

AgentDecision AgentPolicy::evaluate(std::string_view request_name,
                                    const json::Json& request) const {
  const std::optional<std::size_t> index = requestIndex(request_name);
  static const engine::NoReferenceValues kNoReferences;
  engine::Evaluation evaluation(request, kNoReferences);
  evaluation.budget = kEvaluationBudget;
  for (const AgentRule& rule : compiled_->rules) {
    if (!applies(rule, index)) {
      continue;
    }
    const bool matches = !rule.when || engine::evaluate(*rule.when, evaluation, 0);
    if (evaluation.exhausted) {
      // The rules' outcome is unknown: fail closed whatever the rule's effect.
      return {false, std::string(kBudgetRuleId),
              fmt::format("evaluating the request took more than {} steps", kEvaluationBudget)};
    }
    if (matches) {
      return {rule.allow, rule.id, rule.reason};
    }
  }
  return {compiled_->default_allow, "default",
          fmt::format("no rule matched; default {}", compiled_->default_allow ? "allow" : "deny")};
}

Status AgentPolicy::check(std::string_view request_name, const json::Json& request) const {
  AgentDecision decision = evaluate(request_name, request);
  if (decision.allow) {
    return okStatus();
  }
  return fail(Code::kPermissionDenied, "agent policy {}: {} denied by rule {}: {}", compiled_->id,
              request_name.substr(0, kMaxShownNameBytes), decision.rule_id, decision.reason);
}

Result<AgentPolicy> parseAgentPolicy(std::string_view text) {
  static const engine::Limits kLimits;
  COCOON_ASSIGN_OR_RETURN(auto compiled, Compiler(kLimits).run(text));
  return AgentPolicy(std::move(compiled));
}

}  // namespace cocoon::agent::policy
