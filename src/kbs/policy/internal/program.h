// SPDX-License-Identifier: Apache-2.0
// The compiled form of a policy document: an expression tree with claim paths split into
// pointer tokens and regexes compiled, so evaluation does no parsing and no allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "json/json.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/reference_values.h"
#include "kbs/policy/trust_vector.h"

namespace cocoon::kbs::policy::detail {

enum class PolicyKind : std::uint8_t { kAttestation, kResource };

enum class OperandKind : std::uint8_t { kLiteral, kClaim, kReference };

struct Operand {
  OperandKind kind = OperandKind::kLiteral;
  json::Json literal;               // kLiteral
  std::vector<std::string> tokens;  // kClaim: pointer tokens from the input's root
  std::string text;                 // kClaim: the path as written; kReference: the name
};

enum class Op : std::uint8_t { kEq, kIn, kPrefix, kRegex, kGte, kLte, kAll, kAny, kNot, kExists };

std::string_view opName(Op op);

// A POSIX extended regular expression compiled once (owns its regex_t).
class CompiledRegex {
 public:
  // Compiles `pattern` (POSIX ERE; fullMatch anchors it at both ends). kInvalidArgument when
  // regcomp refuses it or it has a back-reference (not a regular language: matching can take
  // exponential time).
  static Result<std::unique_ptr<CompiledRegex>> compile(const std::string& pattern);
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;
  ~CompiledRegex();
  // Whole-string match of a NUL-free string.
  bool fullMatch(const std::string& text) const;

 private:
  CompiledRegex();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Expr {
  Op op = Op::kEq;
  std::string where;              // JSON pointer of this node in the policy document
  std::vector<Operand> operands;  // comparisons: 2; exists: 1 (a claim)
  std::vector<Expr> children;     // all / any: any number; not: 1
  std::unique_ptr<CompiledRegex> regex;
  std::string pattern;  // regex, as written
};

enum class Effect : std::uint8_t { kSet, kDeny, kAllow };

using Assignments = std::vector<std::pair<TrustComponent, std::int8_t>>;

struct Rule {
  std::string id;  // as written, or "#<index>"
  std::string where;
  std::optional<Expr> when;  // absent: always matches
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

// Evaluates `expr` against `input`; appends one line per evaluated node to `trace`
// unless it is null. Never fails: a missing or mistyped value makes a comparison false.
bool evaluateExpr(const Expr& expr, const json::Json& input, const ReferenceValues& references,
                  Explanation* trace, std::size_t depth);

}  // namespace cocoon::kbs::policy::detail
