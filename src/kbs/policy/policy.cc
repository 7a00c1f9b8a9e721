// SPDX-License-Identifier: Apache-2.0
// Attestation and resource policies: rule semantics over the compiled expression tree.
#include "kbs/policy/policy.h"

#include <utility>

#include "kbs/policy/internal/program.h"

namespace cocoon::kbs::policy {
namespace {

using detail::CompiledPolicy;
using detail::Effect;
using detail::Rule;

// Whether `rule` matches, with a trace line for the rule itself.
bool ruleMatches(const Rule& rule, const json::Json& input, const ReferenceValues& references,
                 Explanation* trace) {
  if (trace != nullptr) {
    trace->lines.push_back({0, rule.where, fmt::format("rule \"{}\"", rule.id)});
  }
  if (!rule.when) {
    return true;
  }
  cocoon::policy::Evaluation evaluation(input, references);
  evaluation.trace = trace;
  return cocoon::policy::evaluate(*rule.when, evaluation, 1);
}

void assign(const detail::Assignments& set, TrustVector& vector, const std::string& where,
            Explanation* trace) {
  for (const auto& [component, value] : set) {
    const bool fresh = !vector.isSet(component);
    if (fresh) {
      vector.set(component, value);
    }
    if (trace != nullptr) {
      trace->lines.push_back(
          {1, where,
           fresh ? fmt::format("set {} = {}", trustComponentName(component), value)
                 : fmt::format("{} = {} kept (assigned earlier)", trustComponentName(component),
                               vector.value(component))});
    }
  }
}

AttestationDecision evaluateAttestation(const CompiledPolicy& policy, const json::Json& input,
                                        const ReferenceValues& references, Explanation* trace) {
  AttestationDecision decision;
  decision.policy_id = policy.id;
  const Rule* denied_by = nullptr;
  for (const Rule& rule : policy.rules) {
    if (!ruleMatches(rule, input, references, trace)) {
      continue;
    }
    if (rule.effect == Effect::kDeny) {
      denied_by = &rule;
      if (trace != nullptr) {
        trace->lines.push_back({1, rule.where, fmt::format("deny: {}", rule.reason)});
      }
      break;
    }
    assign(rule.set, decision.vector, rule.where, trace);
  }
  assign(policy.default_set, decision.vector, "/default", trace);
  if (denied_by != nullptr) {
    decision.explanation = fmt::format("denied by rule \"{}\" of policy \"{}\": {}", denied_by->id,
                                       policy.id, denied_by->reason);
  } else if (!decision.vector.anySet()) {
    decision.explanation = fmt::format(
        "denied: policy \"{}\" set no trustworthiness claim and has no default", policy.id);
  } else {
    decision.allow = true;
    decision.explanation = fmt::format("allowed by policy \"{}\"; status {}", policy.id,
                                       trustTierName(decision.vector.status()));
  }
  if (trace != nullptr) {
    trace->lines.push_back({0, "", decision.explanation});
  }
  return decision;
}

ResourceDecision evaluateResource(const CompiledPolicy& policy, const json::Json& input,
                                  const ReferenceValues& references, Explanation* trace) {
  ResourceDecision decision;
  decision.policy_id = policy.id;
  decision.rule_id = "default";
  decision.allow = policy.default_allow;
  decision.reason =
      fmt::format("no rule matched; default {}", policy.default_allow ? "allow" : "deny");
  for (const Rule& rule : policy.rules) {
    if (ruleMatches(rule, input, references, trace)) {
      decision.allow = rule.effect == Effect::kAllow;
      decision.rule_id = rule.id;
      decision.reason = rule.reason;
      break;
    }
  }
  if (trace != nullptr) {
    trace->lines.push_back(
        {0, "",
         fmt::format("{} by rule \"{}\": {}", decision.allow ? "allowed" : "denied",
                     decision.rule_id, decision.reason)});
  }
  return decision;
}

}  // namespace

AttestationPolicy::AttestationPolicy(std::unique_ptr<const detail::CompiledPolicy> compiled)
    : compiled_(std::move(compiled)) {}
AttestationPolicy::AttestationPolicy(AttestationPolicy&&) noexcept = default;
AttestationPolicy& AttestationPolicy::operator=(AttestationPolicy&&) noexcept = default;
AttestationPolicy::~AttestationPolicy() = default;

const std::string& AttestationPolicy::id() const {
  return compiled_->id;
}

AttestationDecision AttestationPolicy::evaluate(const json::Json& input,
                                                const ReferenceValues& references) const {
  return evaluateAttestation(*compiled_, input, references, nullptr);
}

AttestationDecision AttestationPolicy::explain(const json::Json& input,
                                               const ReferenceValues& references,
                                               Explanation& trace) const {
  return evaluateAttestation(*compiled_, input, references, &trace);
}

ResourcePolicy::ResourcePolicy(std::unique_ptr<const detail::CompiledPolicy> compiled)
    : compiled_(std::move(compiled)) {}
ResourcePolicy::ResourcePolicy(ResourcePolicy&&) noexcept = default;
ResourcePolicy& ResourcePolicy::operator=(ResourcePolicy&&) noexcept = default;
ResourcePolicy::~ResourcePolicy() = default;

const std::string& ResourcePolicy::id() const {
  return compiled_->id;
}

ResourceDecision ResourcePolicy::evaluate(const json::Json& input,
                                          const ReferenceValues& references) const {
  return evaluateResource(*compiled_, input, references, nullptr);
}

ResourceDecision ResourcePolicy::explain(const json::Json& input, const ReferenceValues& references,
                                         Explanation& trace) const {
  return evaluateResource(*compiled_, input, references, &trace);
}

Result<AttestationPolicy> parseAttestationPolicy(std::string_view text,
                                                 const PolicyLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(auto compiled,
                          detail::compilePolicy(text, detail::PolicyKind::kAttestation, limits));
  return AttestationPolicy(std::move(compiled));
}

Result<ResourcePolicy> parseResourcePolicy(std::string_view text, const PolicyLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(auto compiled,
                          detail::compilePolicy(text, detail::PolicyKind::kResource, limits));
  return ResourcePolicy(std::move(compiled));
}

json::Json makeAttestationInput(std::string_view tee, json::Json claims,
                                json::Json init_data_claims, json::Json runtime_data_claims) {
  json::Json input = json::Json::object();
  input["tee"] = std::string(tee);
  input["claims"] = std::move(claims);
  input["init_data_claims"] = std::move(init_data_claims);
  input["runtime_data_claims"] = std::move(runtime_data_claims);
  return input;
}

json::Json makeResourceInput(std::string_view resource_path, json::Json token_claims) {
  json::Json input = json::Json::object();
  input["resource_path"] = std::string(resource_path);
  input["token"] = std::move(token_claims);
  return input;
}

}  // namespace cocoon::kbs::policy
