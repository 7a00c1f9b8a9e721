// SPDX-License-Identifier: Apache-2.0
// The policy expression language shared by the KBS policies and the agent policy
// (docs/policy.md §Expressions): its compiled form and its evaluator.
// Trust: the compiled tree comes from an owner's document (checked by compiler.h); the
// input evaluated is attacker-influenced and can only make expressions false, never make
// evaluation fail; a step budget bounds the work it can cause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "json/json.h"
#include "policy/reference_values.h"

namespace cocoon::policy {

// Caps on a policy document (STYLE.md §5.6). Exceeding one fails compilation with
// kResourceExhausted.
struct Limits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 32;  // JSON nesting, which bounds expression nesting
  std::size_t max_rules = 256;
  std::size_t max_nodes = 8192;  // expressions, operands and literal array elements
  std::size_t max_regex_bytes = 256;
};

// Inputs longer than this never match a regex (the trace says so): a bound on the work
// an attacker-chosen value can cause.
inline constexpr std::size_t kMaxRegexInputBytes = 4096;

// One line of an explanation: what was evaluated (`where` is the JSON pointer of the node
// in the policy document), the values compared, and the outcome. `depth` is the nesting
// of the node under its rule (for indentation).
struct TraceLine {
  std::size_t depth = 0;
  std::string where;
  std::string text;
};

// A dry run's trace, in evaluation order. Values are printed as compact JSON, cut to 80
// bytes; a trace is meant for the policy author.
struct Explanation {
  std::vector<TraceLine> lines;
  // One line per entry, indented two spaces per depth: "<where>: <text>".
  std::string toText() const;
};

enum class OperandKind : std::uint8_t { kLiteral, kClaim, kElement, kReference };

struct Operand {
  OperandKind kind = OperandKind::kLiteral;
  json::Json literal;               // kLiteral
  std::vector<std::string> tokens;  // kClaim: from the input's root; kElement: from "@"
  std::string text;                 // kClaim/kElement: the path as written; kReference: name
};

enum class Op : std::uint8_t {
  kEq,
  kIn,
  kPrefix,
  kRegex,
  kGte,
  kLte,
  kAll,
  kAny,
  kNot,
  kExists,
  kSome,
  kEvery,
};

// The operator's key in a document ("eq", "some", ...).
std::string_view opName(Op op);

// A POSIX extended regular expression compiled once (owns its regex_t).
class CompiledRegex {
 public:
  // Compiles `pattern` (POSIX ERE). kInvalidArgument when regcomp refuses it, it holds a
  // NUL byte, or it has a back-reference (not a regular language: matching can take
  // exponential time).
  static Result<std::unique_ptr<CompiledRegex>> compile(const std::string& pattern);
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;
  ~CompiledRegex();
  // Whether the pattern matches all of `text` (a NUL-free string).
  bool fullMatch(const std::string& text) const;

 private:
  CompiledRegex();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One compiled expression node. Built only by ExpressionCompiler (compiler.h).
struct Expr {
  Op op = Op::kEq;
  std::string where;              // JSON pointer of this node in the policy document
  std::vector<Operand> operands;  // comparisons: 2; exists, some, every: 1 (the path)
  std::vector<Expr> children;     // all / any: any number; not, some, every: 1
  std::unique_ptr<CompiledRegex> regex;
  std::string pattern;  // regex, as written
};

// The state of one evaluation. Not shared between threads; one per evaluate call.
struct Evaluation {
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  Evaluation(const json::Json& in, const ReferenceValues& refs) : input(in), references(refs) {}

  const json::Json& input;
  const ReferenceValues& references;
  // When not null, one line per evaluated node is appended.
  Explanation* trace = nullptr;
  // Steps left: one per expression node, per element a quantifier visits and per element
  // "in" scans. When it runs out, `exhausted` is set and every expression from then on is
  // false; the caller must then fail closed (the result means nothing).
  std::size_t budget = kUnlimited;
  bool exhausted = false;
  // The element "@" names inside some/every (the innermost one); null outside.
  const json::Json* element = nullptr;
};

// Evaluates `expr`; `depth` is the nesting for trace lines. Never fails: a missing or
// mistyped value makes a comparison false (see Evaluation::budget for running out).
bool evaluate(const Expr& expr, Evaluation& evaluation, std::size_t depth);

}  // namespace cocoon::policy
