// SPDX-License-Identifier: Apache-2.0
// Compiles a KBS policy document (docs/policy.md) into the rules of program.h, with its
// expressions compiled by the shared policy compiler; unknown keys are refused with the
// JSON pointer of the offending node.
#include <string>
#include <utility>

#include "kbs/policy/internal/program.h"
#include "policy/compiler.h"

namespace cocoon::kbs::policy::detail {
namespace {

using cocoon::policy::checkRules;
using cocoon::policy::childPointer;
using cocoon::policy::compileCommonMember;
using cocoon::policy::invalidAt;
using cocoon::policy::kMaxIdBytes;
using cocoon::policy::kMaxTextBytes;
using cocoon::policy::stringAt;
using json::Json;

std::vector<std::string> bareClaimRoot(PolicyKind kind) {
  if (kind == PolicyKind::kAttestation) {
    return {"claims"};
  }
  return {"token", "submods", "cpu0", "ear.veraison.annotated-evidence"};
}

class Compiler {
 public:
  Compiler(PolicyKind kind, const PolicyLimits& limits)
      : kind_(kind), limits_(limits), expressions_(limits, {bareClaimRoot(kind), true}) {}

  Result<std::unique_ptr<const CompiledPolicy>> run(std::string_view text) {
    COCOON_ASSIGN_OR_RETURN(Json doc, cocoon::policy::parseDocument(text, limits_));
    auto policy = std::make_unique<CompiledPolicy>();
    policy->kind = kind_;
    COCOON_TRY(compileDocument(doc, *policy));
    return std::unique_ptr<const CompiledPolicy>(std::move(policy));
  }

 private:
  Status compileDocument(const Json& doc, CompiledPolicy& policy) {
    if (!doc.is_object()) {
      return invalidAt("", "expected an object, found {}", doc.type_name());
    }
    bool has_default = false;
    for (const auto& [key, value] : doc.items()) {
      const std::string where = childPointer("", key);
      COCOON_ASSIGN_OR_RETURN(bool common, compileCommonMember(key, value, where, policy.id));
      if (common) {
        continue;
      }
      if (key == "rules") {
        COCOON_TRY(compileRules(value, where, policy));
      } else if (key == "default") {
        has_default = true;
        COCOON_TRY(compileDefault(value, where, policy));
      } else {
        return invalidAt(where, "unknown key \"{}\"", key);
      }
    }
    for (const char* required : {"version", "id", "rules"}) {
      if (!doc.contains(required)) {
        return invalidAt("", "missing \"{}\"", required);
      }
    }
    if (kind_ == PolicyKind::kResource && !has_default) {
      return invalidAt("", "missing \"default\" (\"allow\" or \"deny\")");
    }
    return okStatus();
  }

  Status compileDefault(const Json& value, const std::string& where, CompiledPolicy& policy) {
    if (kind_ == PolicyKind::kResource) {
      if (value == "allow" || value == "deny") {
        policy.default_allow = value == "allow";
        return okStatus();
      }
      return invalidAt(where, "expected \"allow\" or \"deny\", found {}", json::dumpCompact(value));
    }
    COCOON_ASSIGN_OR_RETURN(policy.default_set, compileAssignments(value, where));
    return okStatus();
  }

  Result<Assignments> compileAssignments(const Json& value, const std::string& where) {
    if (!value.is_object()) {
      return invalidAt(where, "expected an object of trust components, found {}",
                       value.type_name());
    }
    Assignments out;
    for (const auto& [name, v] : value.items()) {
      const std::string at = childPointer(where, name);
      auto component = parseTrustComponent(name);
      if (!component) {
        return invalidAt(at, "unknown trust component \"{}\"", name);
      }
      for (const auto& [existing, unused] : out) {
        if (existing == *component) {
          return invalidAt(at, "component \"{}\" assigned twice", trustComponentName(*component));
        }
      }
      if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > 127) ||
          v.get<std::int64_t>() < -128 || v.get<std::int64_t>() > 127) {
        return invalidAt(at, "expected an integer in -128..127, found {}", json::dumpCompact(v));
      }
      out.emplace_back(*component, static_cast<std::int8_t>(v.get<std::int64_t>()));
    }
    return out;
  }

  Status compileRules(const Json& value, const std::string& where, CompiledPolicy& policy) {
    COCOON_TRY(checkRules(value, where, limits_));
    for (std::size_t i = 0; i < value.size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(Rule rule, compileRule(value[i], childPointer(where, i), i));
      policy.rules.push_back(std::move(rule));
    }
    return okStatus();
  }

  Result<Rule> compileRule(const Json& value, const std::string& where, std::size_t index) {
    if (!value.is_object()) {
      return invalidAt(where, "expected a rule object, found {}", value.type_name());
    }
    Rule rule;
    rule.where = where;
    rule.id = "#" + std::to_string(index);
    int effects = 0;
    for (const auto& [key, v] : value.items()) {
      const std::string at = childPointer(where, key);
      if (key == "id") {
        COCOON_ASSIGN_OR_RETURN(rule.id, stringAt(v, at, kMaxIdBytes));
      } else if (key == "description") {
        COCOON_TRY(stringAt(v, at, kMaxTextBytes));
      } else if (key == "when") {
        COCOON_ASSIGN_OR_RETURN(rule.when, expressions_.compile(v, at));
      } else if (key == "set" && kind_ == PolicyKind::kAttestation) {
        ++effects;
        rule.effect = Effect::kSet;
        COCOON_ASSIGN_OR_RETURN(rule.set, compileAssignments(v, at));
      } else if (key == "deny" || (key == "allow" && kind_ == PolicyKind::kResource)) {
        ++effects;
        rule.effect = key == "deny" ? Effect::kDeny : Effect::kAllow;
        COCOON_ASSIGN_OR_RETURN(rule.reason, stringAt(v, at, kMaxTextBytes));
      } else if (key == "set" || key == "allow") {
        return invalidAt(at, "\"{}\" is not an effect of a {} policy", key,
                         kind_ == PolicyKind::kAttestation ? "attestation" : "resource");
      } else {
        return invalidAt(at, "unknown key \"{}\"", key);
      }
    }
    if (effects != 1) {
      return invalidAt(
          where, "a rule needs exactly one effect ({}), found {}",
          kind_ == PolicyKind::kAttestation ? "\"set\" or \"deny\"" : "\"allow\" or \"deny\"",
          effects);
    }
    return rule;
  }

  PolicyKind kind_;
  const PolicyLimits& limits_;
  cocoon::policy::ExpressionCompiler expressions_;
};

}  // namespace

Result<std::unique_ptr<const CompiledPolicy>> compilePolicy(std::string_view text, PolicyKind kind,
                                                            const PolicyLimits& limits) {
  return Compiler(kind, limits).run(text);
}

}  // namespace cocoon::kbs::policy::detail
