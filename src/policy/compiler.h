// SPDX-License-Identifier: Apache-2.0
// Compiles the expressions of a policy document (docs/policy.md §Expressions) into the
// tree of expression.h, and the helpers each document format (KBS attestation/resource
// policies, agent policy) uses to report errors the same way.
// Trust: documents come from an owner or admin, but are parsed strictly: caps first,
// unknown keys and operators refused with the JSON pointer of the offending node.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "json/json.h"
#include "policy/expression.h"

namespace cocoon::policy {

// `where` + "/" + the RFC 6901 escaped `token` (or index).
std::string childPointer(const std::string& where, std::string_view token);
std::string childPointer(const std::string& where, std::size_t index);

// kInvalidArgument "policy <where>: <text>" (where "/" for the root).
template <typename... Args>
tl::unexpected<Error> invalidAt(const std::string& where, fmt::format_string<Args...> format,
                                Args&&... args) {
  return fail(Code::kInvalidArgument, "policy {}: {}", where.empty() ? "/" : where,
              fmt::format(format, std::forward<Args>(args)...));
}

// Parses a document's JSON under `limits` (size first, then nesting). Errors:
// kResourceExhausted "policy: N bytes, more than the cap of M" or a depth cap;
// kInvalidArgument "policy: <parser message>" for malformed JSON.
Result<json::Json> parseDocument(std::string_view text, const Limits& limits);

// The string at `where`, 1..`max` bytes; kInvalidArgument otherwise.
Result<std::string> stringAt(const json::Json& value, const std::string& where, std::size_t max);

// Lengths of a document's and a rule's "id", and of descriptions and reasons.
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxTextBytes = 1024;

// The members every document format has: "version" (must be 1), "id" (1..kMaxIdBytes,
// stored in `id`) and "description" (1..kMaxTextBytes). Returns whether `key` is one of
// them; kInvalidArgument when it is and its value is wrong.
Result<bool> compileCommonMember(std::string_view key, const json::Json& value,
                                 const std::string& where, std::string& id);

// Checks the "rules" member at `where`: an array (kInvalidArgument) of at most
// limits.max_rules entries (kResourceExhausted).
Status checkRules(const json::Json& rules, const std::string& where, const Limits& limits);

// How a document format embeds expressions.
struct ExpressionOptions {
  // Where a bare claim name (no leading '/') is looked up: these tokens, then the name.
  std::vector<std::string> bare_claim_root;
  // Whether {"reference": name} operands are allowed (only where the evaluator is given
  // reference values).
  bool allow_references = true;
};

// Compiles expressions of one document; counts nodes across all of them against
// Limits::max_nodes. Not thread-safe; one per document.
class ExpressionCompiler {
 public:
  // REQUIRES: `limits` outlives the compiler.
  ExpressionCompiler(const Limits& limits, ExpressionOptions options)
      : limits_(limits), options_(std::move(options)) {}

  // Compiles the expression `value` found at JSON pointer `where`. Errors: kInvalidArgument
  // "policy <pointer>: ..." (unknown operator or operand, wrong operand count or type, bad
  // claim path, bad regex, "@" outside some/every, a reference where not allowed);
  // kResourceExhausted (node cap, regex length cap).
  Result<Expr> compile(const json::Json& value, const std::string& where);

 private:
  Status countNode(const std::string& where, std::size_t n = 1);
  Result<Expr> compileQuantifier(Expr expr, const json::Json& arg, const std::string& at);
  Status checkOperands(Expr& expr, const std::string& at);
  Result<Operand> compileOperand(const json::Json& value, const std::string& where);
  Result<Operand> pathOperand(const std::string& path, const std::string& where);

  const Limits& limits_;
  ExpressionOptions options_;
  std::size_t nodes_ = 0;
  std::size_t quantifier_depth_ = 0;
};

}  // namespace cocoon::policy
