// SPDX-License-Identifier: Apache-2.0
// Compiles policy expressions into the tree of expression.h, refusing anything it does
// not know with the JSON pointer of the offending node.
#include "policy/compiler.h"

#include <array>
#include <string>
#include <utility>

namespace cocoon::policy {
namespace {

using json::Json;

// some/every inside some/every: each level multiplies the work by an input's array size
// (the step budget still bounds it); deeper nesting has no use in a rule.
constexpr std::size_t kMaxQuantifierDepth = 4;

// The operands array of a comparison or quantifier: exactly two elements.
Status checkPair(const Json& value, const std::string& where, Op op) {
  if (!value.is_array() || value.size() != 2) {
    return invalidAt(
        where, "\"{}\" takes an array of two operands, found {}", opName(op),
        value.is_array() ? std::to_string(value.size()) + " elements" : value.type_name());
  }
  return okStatus();
}

}  // namespace

std::string childPointer(const std::string& where, std::string_view token) {
  std::string out = where + "/";
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string childPointer(const std::string& where, std::size_t index) {
  return where + "/" + std::to_string(index);
}

Result<Json> parseDocument(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(Code::kResourceExhausted, "policy: {} bytes, more than the cap of {}", text.size(),
                limits.max_bytes);
  }
  auto doc = json::parseJson(text, {limits.max_bytes, limits.max_depth});
  if (!doc) {
    return fail(doc.error().code, "policy: {}", doc.error().message);
  }
  return std::move(*doc);
}

Result<std::string> stringAt(const Json& value, const std::string& where, std::size_t max) {
  if (!value.is_string()) {
    return invalidAt(where, "expected a string, found {}", value.type_name());
  }
  const auto& s = value.get_ref<const std::string&>();
  if (s.empty() || s.size() > max) {
    return invalidAt(where, "expected 1..{} bytes, found {}", max, s.size());
  }
  return s;
}

Result<bool> compileCommonMember(std::string_view key, const Json& value, const std::string& where,
                                 std::string& id) {
  if (key == "version") {
    if (!value.is_number_integer() || value.get<std::int64_t>() != 1) {
      return invalidAt(where, "expected 1, found {}", json::dumpCompact(value));
    }
    return true;
  }
  if (key == "id") {
    COCOON_ASSIGN_OR_RETURN(id, stringAt(value, where, kMaxIdBytes));
    return true;
  }
  if (key == "description") {
    COCOON_TRY(stringAt(value, where, kMaxTextBytes));
    return true;
  }
  return false;
}

Status checkRules(const Json& rules, const std::string& where, const Limits& limits) {
  if (!rules.is_array()) {
    return invalidAt(where, "expected an array of rules, found {}", rules.type_name());
  }
  if (rules.size() > limits.max_rules) {
    return fail(Code::kResourceExhausted, "policy {}: {} rules, more than the cap of {}", where,
                rules.size(), limits.max_rules);
  }
  return okStatus();
}

Status ExpressionCompiler::countNode(const std::string& where, std::size_t n) {
  nodes_ += n;
  if (nodes_ > limits_.max_nodes) {
    return fail(Code::kResourceExhausted, "policy {}: more than {} nodes", where,
                limits_.max_nodes);
  }
  return okStatus();
}

Result<Expr> ExpressionCompiler::compile(const Json& value, const std::string& where) {
  COCOON_TRY(countNode(where));
  if (!value.is_object() || value.size() != 1) {
    return invalidAt(where, "expected an expression: an object with one operator key");
  }
  auto it = value.begin();
  const std::string& key = it.key();
  const Json& arg = it.value();
  const std::string at = childPointer(where, key);
  Expr expr;
  expr.where = where;
  static constexpr std::array kOps = {Op::kEq,  Op::kIn,     Op::kPrefix, Op::kRegex,
                                      Op::kGte, Op::kLte,    Op::kAll,    Op::kAny,
                                      Op::kNot, Op::kExists, Op::kSome,   Op::kEvery};
  bool known = false;
  for (Op op : kOps) {
    if (opName(op) == key) {
      expr.op = op;
      known = true;
    }
  }
  if (!known) {
    return invalidAt(at, "unknown operator \"{}\"", key);
  }
  switch (expr.op) {
    case Op::kAll:
    case Op::kAny: {
      if (!arg.is_array()) {
        return invalidAt(at, "\"{}\" takes an array of expressions, found {}", key,
                         arg.type_name());
      }
      for (std::size_t i = 0; i < arg.size(); ++i) {
        COCOON_ASSIGN_OR_RETURN(Expr e, compile(arg[i], childPointer(at, i)));
        expr.children.push_back(std::move(e));
      }
      return expr;
    }
    case Op::kNot: {
      COCOON_ASSIGN_OR_RETURN(Expr e, compile(arg, at));
      expr.children.push_back(std::move(e));
      return expr;
    }
    case Op::kExists: {
      COCOON_ASSIGN_OR_RETURN(std::string path, stringAt(arg, at, limits_.max_bytes));
      COCOON_ASSIGN_OR_RETURN(Operand operand, pathOperand(path, at));
      expr.operands.push_back(std::move(operand));
      return expr;
    }
    case Op::kSome:
    case Op::kEvery:
      return compileQuantifier(std::move(expr), arg, at);
    default:
      break;
  }
  COCOON_TRY(checkPair(arg, at, expr.op));
  for (std::size_t i = 0; i < 2; ++i) {
    COCOON_ASSIGN_OR_RETURN(Operand operand, compileOperand(arg[i], childPointer(at, i)));
    expr.operands.push_back(std::move(operand));
  }
  COCOON_TRY(checkOperands(expr, at));
  return expr;
}

// {"some"|"every": ["path", expression]}: the path is resolved outside the quantifier, so
// "@" in it names the enclosing quantifier's element.
Result<Expr> ExpressionCompiler::compileQuantifier(Expr expr, const Json& arg,
                                                   const std::string& at) {
  COCOON_TRY(checkPair(arg, at, expr.op));
  const std::string at0 = childPointer(at, std::size_t{0});
  COCOON_ASSIGN_OR_RETURN(std::string path, stringAt(arg[0], at0, limits_.max_bytes));
  COCOON_ASSIGN_OR_RETURN(Operand operand, pathOperand(path, at0));
  expr.operands.push_back(std::move(operand));
  if (quantifier_depth_ == kMaxQuantifierDepth) {
    return invalidAt(at, "more than {} nested some/every", kMaxQuantifierDepth);
  }
  ++quantifier_depth_;
  auto body = compile(arg[1], childPointer(at, std::size_t{1}));
  --quantifier_depth_;
  if (!body) {
    return tl::unexpected(std::move(body.error()));
  }
  expr.children.push_back(std::move(*body));
  return expr;
}

Status ExpressionCompiler::checkOperands(Expr& expr, const std::string& at) {
  const Operand& a = expr.operands[0];
  const Operand& b = expr.operands[1];
  const std::string at1 = childPointer(at, std::size_t{1});
  if (expr.op != Op::kEq && a.kind == OperandKind::kReference) {
    return invalidAt(childPointer(at, std::size_t{0}),
                     "a reference is allowed only as the second operand of \"in\" "
                     "or as either operand of \"eq\"");
  }
  switch (expr.op) {
    case Op::kEq:
      if (a.kind == OperandKind::kReference && b.kind == OperandKind::kReference) {
        return invalidAt(at, "\"eq\" of two references");
      }
      return okStatus();
    case Op::kIn:
      if (b.kind == OperandKind::kLiteral && !b.literal.is_array()) {
        return invalidAt(at1, "\"in\" needs an array, a reference or a claim, found {}",
                         b.literal.type_name());
      }
      return okStatus();
    case Op::kPrefix:
      if (b.kind == OperandKind::kReference ||
          (b.kind == OperandKind::kLiteral && !b.literal.is_string())) {
        return invalidAt(at1, "\"prefix\" needs a string");
      }
      return okStatus();
    case Op::kGte:
    case Op::kLte:
      if (b.kind == OperandKind::kReference ||
          (b.kind == OperandKind::kLiteral && !b.literal.is_number())) {
        return invalidAt(at1, "\"{}\" needs a number", opName(expr.op));
      }
      return okStatus();
    case Op::kRegex: {
      if (b.kind != OperandKind::kLiteral || !b.literal.is_string()) {
        return invalidAt(at1, "\"regex\" needs a literal pattern string");
      }
      const auto& pattern = b.literal.get_ref<const std::string&>();
      if (pattern.size() > limits_.max_regex_bytes) {
        return fail(Code::kResourceExhausted, "policy {}: regex of {} bytes, more than {}", at1,
                    pattern.size(), limits_.max_regex_bytes);
      }
      auto regex = CompiledRegex::compile(pattern);
      if (!regex) {
        return invalidAt(at1, "{}", regex.error().message);
      }
      expr.regex = std::move(*regex);
      expr.pattern = pattern;
      return okStatus();
    }
    default:
      return okStatus();
  }
}

Result<Operand> ExpressionCompiler::compileOperand(const Json& value, const std::string& where) {
  COCOON_TRY(countNode(where));
  if (value.is_object()) {
    if (value.size() != 1) {
      return invalidAt(where,
                       "expected an operand: {{\"claim\": path}}, {{\"reference\": name}} "
                       "or a literal");
    }
    auto it = value.begin();
    const std::string& key = it.key();
    const Json& arg = it.value();
    const std::string at = childPointer(where, key);
    if (key == "claim") {
      COCOON_ASSIGN_OR_RETURN(std::string path, stringAt(arg, at, limits_.max_bytes));
      return pathOperand(path, at);
    }
    if (key == "reference") {
      if (!options_.allow_references) {
        return invalidAt(at, "references are not available in this kind of policy");
      }
      Operand operand;
      operand.kind = OperandKind::kReference;
      COCOON_ASSIGN_OR_RETURN(operand.text, stringAt(arg, at, kMaxIdBytes));
      return operand;
    }
    return invalidAt(at, "unknown operand \"{}\"", key);
  }
  if (value.is_array()) {
    COCOON_TRY(countNode(where, value.size()));
  }
  Operand operand;
  operand.literal = value;
  return operand;
}

// "/a/b~1c" (RFC 6901, from the input's root), "@" or "@/a/b" (the innermost quantifier's
// element), or a bare name under the document format's claims object.
Result<Operand> ExpressionCompiler::pathOperand(const std::string& path, const std::string& where) {
  Operand operand;
  operand.kind = OperandKind::kClaim;
  operand.text = path;
  std::size_t start = 0;
  if (path == "@" || path.starts_with("@/")) {
    if (quantifier_depth_ == 0) {
      return invalidAt(where, "claim path \"{}\" names an element outside some/every", path);
    }
    operand.kind = OperandKind::kElement;
    if (path.size() == 1) {
      return operand;
    }
    start = 1;
  } else if (path[0] != '/') {
    operand.tokens = options_.bare_claim_root;
    operand.tokens.push_back(path);
    return operand;
  }
  std::string token;
  for (std::size_t i = start + 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      operand.tokens.push_back(std::move(token));
      token.clear();
    } else if (path[i] == '~') {
      if (i + 1 < path.size() && (path[i + 1] == '0' || path[i + 1] == '1')) {
        token += path[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        return invalidAt(where, "claim path \"{}\": '~' at offset {} is not ~0 or ~1", path, i);
      }
    } else {
      token += path[i];
    }
  }
  return operand;
}

}  // namespace cocoon::policy
