// SPDX-License-Identifier: Apache-2.0
// The compiled form of a KBS policy document: its rules around expressions of the shared
// policy language (policy/expression.h), compiled once so evaluation does no parsing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/trust_vector.h"
#include "policy/expression.h"

namespace cocoon::kbs::policy::detail {

enum class PolicyKind : std::uint8_t { kAttestation, kResource };

enum class Effect : std::uint8_t { kSet, kDeny, kAllow };

using Assignments = std::vector<std::pair<TrustComponent, std::int8_t>>;

struct Rule {
  std::string id;  // as written, or "#<index>"
  std::string where;
  std::optional<cocoon::policy::Expr> when;  // absent: always matches
  Effect effect = Effect::kDeny;
  Assignments set;     // kSet
  std::string reason;  // kDeny / kAllow
};

struct CompiledPolicy {
  PolicyKind kind = PolicyKind::kAttestation;
  std::string id;
  std::vector<Rule> rules;
  Assignments default_set;     // attestation
  bool default_allow = false;  // resource
};

Result<std::unique_ptr<const CompiledPolicy>> compilePolicy(std::string_view text, PolicyKind kind,
                                                            const PolicyLimits& limits);

}  // namespace cocoon::kbs::policy::detail
