// SPDX-License-Identifier: Apache-2.0
// Compiles a policy document (docs/policy.md) into the expression tree of program.h,
// refusing anything it does not know with the JSON pointer of the offending node.
#include <charconv>
#include <string>
#include <utility>

#include "kbs/policy/internal/program.h"

namespace cocoon::kbs::policy::detail {
namespace {

using json::Json;

constexpr std::size_t kMaxIdBytes = 128;
constexpr std::size_t kMaxReasonBytes = 1024;

// RFC 6901 escaping of one reference token, for error pointers.
std::string escapeToken(std::string_view token) {
  std::string out;
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

std::string child(const std::string& where, std::string_view token) {
  return where + "/" + escapeToken(token);
}

std::string child(const std::string& where, std::size_t index) {
  return where + "/" + std::to_string(index);
}

class Compiler {
 public:
  Compiler(PolicyKind kind, const PolicyLimits& limits) : kind_(kind), limits_(limits) {}

  Result<std::unique_ptr<const CompiledPolicy>> run(std::string_view text) {
    if (text.size() > limits_.max_bytes) {
      return fail(Code::kResourceExhausted, "policy: {} bytes, more than the cap of {}",
                  text.size(), limits_.max_bytes);
    }
    auto doc = json::parseJson(text, {limits_.max_bytes, limits_.max_depth});
    if (!doc) {
      return fail(doc.error().code, "policy: {}", doc.error().message);
    }
    auto policy = std::make_unique<CompiledPolicy>();
    policy->kind = kind_;
    COCOON_TRY(compileDocument(*doc, *policy));
    return std::unique_ptr<const CompiledPolicy>(std::move(policy));
  }

 private:
  template <typename... Args>
  tl::unexpected<Error> bad(const std::string& where, fmt::format_string<Args...> format,
                            Args&&... args) {
    return fail(Code::kInvalidArgument, "policy {}: {}", where.empty() ? "/" : where,
                fmt::format(format, std::forward<Args>(args)...));
  }

  Status countNode(const std::string& where, std::size_t n = 1) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      return fail(Code::kResourceExhausted, "policy {}: more than {} nodes", where,
                  limits_.max_nodes);
    }
    return okStatus();
  }

  Result<std::string> string(const Json& value, const std::string& where, std::size_t max) {
    if (!value.is_string()) {
      return bad(where, "expected a string, found {}", value.type_name());
    }
    const auto& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > max) {
      return bad(where, "expected 1..{} bytes, found {}", max, s.size());
    }
    return s;
  }

  Status compileDocument(const Json& doc, CompiledPolicy& policy) {
    if (!doc.is_object()) {
      return bad("", "expected an object, found {}", doc.type_name());
    }
    bool has_default = false;
    for (const auto& [key, value] : doc.items()) {
      const std::string where = child("", key);
      if (key == "version") {
        if (!value.is_number_integer() || value.get<std::int64_t>() != 1) {
          return bad(where, "expected 1, found {}", json::dumpCompact(value));
        }
      } else if (key == "id") {
        COCOON_ASSIGN_OR_RETURN(policy.id, string(value, where, kMaxIdBytes));
      } else if (key == "description") {
        COCOON_TRY(string(value, where, kMaxReasonBytes));
      } else if (key == "rules") {
        COCOON_TRY(compileRules(value, where, policy));
      } else if (key == "default") {
        has_default = true;
        COCOON_TRY(compileDefault(value, where, policy));
      } else {
        return bad(where, "unknown key \"{}\"", key);
      }
    }
    for (const char* required : {"version", "id", "rules"}) {
      if (!doc.contains(required)) {
        return bad("", "missing \"{}\"", required);
      }
    }
    if (kind_ == PolicyKind::kResource && !has_default) {
      return bad("", "missing \"default\" (\"allow\" or \"deny\")");
    }
    return okStatus();
  }

  Status compileDefault(const Json& value, const std::string& where, CompiledPolicy& policy) {
    if (kind_ == PolicyKind::kResource) {
      if (value == "allow" || value == "deny") {
        policy.default_allow = value == "allow";
        return okStatus();
      }
      return bad(where, "expected \"allow\" or \"deny\", found {}", json::dumpCompact(value));
    }
    COCOON_ASSIGN_OR_RETURN(policy.default_set, compileAssignments(value, where));
    return okStatus();
  }

  Result<Assignments> compileAssignments(const Json& value, const std::string& where) {
    if (!value.is_object()) {
      return bad(where, "expected an object of trust components, found {}", value.type_name());
    }
    Assignments out;
    for (const auto& [name, v] : value.items()) {
      const std::string at = child(where, name);
      auto component = parseTrustComponent(name);
      if (!component) {
        return bad(at, "unknown trust component \"{}\"", name);
      }
      for (const auto& [existing, unused] : out) {
        if (existing == *component) {
          return bad(at, "component \"{}\" assigned twice", trustComponentName(*component));
        }
      }
      if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > 127) ||
          v.get<std::int64_t>() < -128 || v.get<std::int64_t>() > 127) {
        return bad(at, "expected an integer in -128..127, found {}", json::dumpCompact(v));
      }
      out.emplace_back(*component, static_cast<std::int8_t>(v.get<std::int64_t>()));
    }
    return out;
  }

  Status compileRules(const Json& value, const std::string& where, CompiledPolicy& policy) {
    if (!value.is_array()) {
      return bad(where, "expected an array of rules, found {}", value.type_name());
    }
    if (value.size() > limits_.max_rules) {
      return fail(Code::kResourceExhausted, "policy {}: {} rules, more than the cap of {}", where,
                  value.size(), limits_.max_rules);
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(Rule rule, compileRule(value[i], child(where, i), i));
      policy.rules.push_back(std::move(rule));
    }
    return okStatus();
  }

  Result<Rule> compileRule(const Json& value, const std::string& where, std::size_t index) {
    if (!value.is_object()) {
      return bad(where, "expected a rule object, found {}", value.type_name());
    }
    Rule rule;
    rule.where = where;
    rule.id = "#" + std::to_string(index);
    int effects = 0;
    for (const auto& [key, v] : value.items()) {
      const std::string at = child(where, key);
      if (key == "id") {
        COCOON_ASSIGN_OR_RETURN(rule.id, string(v, at, kMaxIdBytes));
      } else if (key == "description") {
        COCOON_TRY(string(v, at, kMaxReasonBytes));
      } else if (key == "when") {
        COCOON_ASSIGN_OR_RETURN(rule.when, compileExpr(v, at));
      } else if (key == "set" && kind_ == PolicyKind::kAttestation) {
        ++effects;
        rule.effect = Effect::kSet;
        COCOON_ASSIGN_OR_RETURN(rule.set, compileAssignments(v, at));
      } else if (key == "deny" || (key == "allow" && kind_ == PolicyKind::kResource)) {
        ++effects;
        rule.effect = key == "deny" ? Effect::kDeny : Effect::kAllow;
        COCOON_ASSIGN_OR_RETURN(rule.reason, string(v, at, kMaxReasonBytes));
      } else if (key == "set" || key == "allow") {
        return bad(at, "\"{}\" is not an effect of a {} policy", key,
                   kind_ == PolicyKind::kAttestation ? "attestation" : "resource");
      } else {
        return bad(at, "unknown key \"{}\"", key);
      }
    }
    if (effects != 1) {
      return bad(
          where, "a rule needs exactly one effect ({}), found {}",
          kind_ == PolicyKind::kAttestation ? "\"set\" or \"deny\"" : "\"allow\" or \"deny\"",
          effects);
    }
    return rule;
  }

  // The operands array of a comparison: exactly two elements.
  Result<const Json*> pair(const Json& value, const std::string& where, Op op) {
    if (!value.is_array() || value.size() != 2) {
      return bad(where, "\"{}\" takes an array of two operands, found {}", opName(op),
                 value.is_array() ? std::to_string(value.size()) + " elements" : value.type_name());
    }
    return &value;
  }

  Result<Expr> compileExpr(const Json& value, const std::string& where) {
    COCOON_TRY(countNode(where));
    if (!value.is_object() || value.size() != 1) {
      return bad(where, "expected an expression: an object with one operator key");
    }
    auto it = value.begin();
    const std::string& key = it.key();
    const Json& arg = it.value();
    const std::string at = child(where, key);
    Expr expr;
    expr.where = where;
    static constexpr Op kOps[] = {Op::kEq,  Op::kIn,  Op::kPrefix, Op::kRegex, Op::kGte,
                                  Op::kLte, Op::kAll, Op::kAny,    Op::kNot,   Op::kExists};
    bool known = false;
    for (Op op : kOps) {
      if (opName(op) == key) {
        expr.op = op;
        known = true;
      }
    }
    if (!known) {
      return bad(at, "unknown operator \"{}\"", key);
    }
    switch (expr.op) {
      case Op::kAll:
      case Op::kAny: {
        if (!arg.is_array()) {
          return bad(at, "\"{}\" takes an array of expressions, found {}", key, arg.type_name());
        }
        for (std::size_t i = 0; i < arg.size(); ++i) {
          COCOON_ASSIGN_OR_RETURN(Expr e, compileExpr(arg[i], child(at, i)));
          expr.children.push_back(std::move(e));
        }
        return expr;
      }
      case Op::kNot: {
        COCOON_ASSIGN_OR_RETURN(Expr e, compileExpr(arg, at));
        expr.children.push_back(std::move(e));
        return expr;
      }
      case Op::kExists: {
        COCOON_ASSIGN_OR_RETURN(std::string path, string(arg, at, limits_.max_bytes));
        COCOON_ASSIGN_OR_RETURN(Operand operand, claimOperand(path, at));
        expr.operands.push_back(std::move(operand));
        return expr;
      }
      default:
        break;
    }
    COCOON_ASSIGN_OR_RETURN(const Json* operands, pair(arg, at, expr.op));
    for (std::size_t i = 0; i < 2; ++i) {
      COCOON_ASSIGN_OR_RETURN(Operand operand, compileOperand((*operands)[i], child(at, i)));
      expr.operands.push_back(std::move(operand));
    }
    COCOON_TRY(checkOperands(expr, at));
    return expr;
  }

  Status checkOperands(Expr& expr, const std::string& at) {
    const Operand& a = expr.operands[0];
    const Operand& b = expr.operands[1];
    const std::string at1 = child(at, 1);
    if (expr.op != Op::kEq && a.kind == OperandKind::kReference) {
      return bad(child(at, 0),
                 "a reference is allowed only as the second operand of \"in\" "
                 "or as either operand of \"eq\"");
    }
    switch (expr.op) {
      case Op::kEq:
        if (a.kind == OperandKind::kReference && b.kind == OperandKind::kReference) {
          return bad(at, "\"eq\" of two references");
        }
        return okStatus();
      case Op::kIn:
        if (b.kind == OperandKind::kLiteral && !b.literal.is_array()) {
          return bad(at1, "\"in\" needs an array, a reference or a claim, found {}",
                     b.literal.type_name());
        }
        return okStatus();
      case Op::kPrefix:
        if (b.kind == OperandKind::kReference ||
            (b.kind == OperandKind::kLiteral && !b.literal.is_string())) {
          return bad(at1, "\"prefix\" needs a string");
        }
        return okStatus();
      case Op::kGte:
      case Op::kLte:
        if (b.kind == OperandKind::kReference ||
            (b.kind == OperandKind::kLiteral && !b.literal.is_number())) {
          return bad(at1, "\"{}\" needs a number", opName(expr.op));
        }
        return okStatus();
      case Op::kRegex: {
        if (b.kind != OperandKind::kLiteral || !b.literal.is_string()) {
          return bad(at1, "\"regex\" needs a literal pattern string");
        }
        const auto& pattern = b.literal.get_ref<const std::string&>();
        if (pattern.size() > limits_.max_regex_bytes) {
          return fail(Code::kResourceExhausted, "policy {}: regex of {} bytes, more than {}", at1,
                      pattern.size(), limits_.max_regex_bytes);
        }
        auto regex = CompiledRegex::compile(pattern);
        if (!regex) {
          return bad(at1, "{}", regex.error().message);
        }
        expr.regex = std::move(*regex);
        expr.pattern = pattern;
        return okStatus();
      }
      default:
        return okStatus();
    }
  }

  Result<Operand> compileOperand(const Json& value, const std::string& where) {
    COCOON_TRY(countNode(where));
    if (value.is_object()) {
      if (value.size() != 1) {
        return bad(where,
                   "expected an operand: {{\"claim\": path}}, {{\"reference\": name}} "
                   "or a literal");
      }
      auto it = value.begin();
      const std::string& key = it.key();
      const Json& arg = it.value();
      const std::string at = child(where, key);
      if (key == "claim") {
        COCOON_ASSIGN_OR_RETURN(std::string path, string(arg, at, limits_.max_bytes));
        return claimOperand(path, at);
      }
      if (key == "reference") {
        Operand operand;
        operand.kind = OperandKind::kReference;
        COCOON_ASSIGN_OR_RETURN(operand.text, string(arg, at, kMaxIdBytes));
        return operand;
      }
      return bad(at, "unknown operand \"{}\"", key);
    }
    if (value.is_array()) {
      COCOON_TRY(countNode(where, value.size()));
    }
    Operand operand;
    operand.literal = value;
    return operand;
  }

  // "/a/b~1c" (RFC 6901, from the input's root) or a bare name under the kind's claims.
  Result<Operand> claimOperand(const std::string& path, const std::string& where) {
    Operand operand;
    operand.kind = OperandKind::kClaim;
    operand.text = path;
    if (path[0] != '/') {
      if (kind_ == PolicyKind::kAttestation) {
        operand.tokens = {"claims"};
      } else {
        operand.tokens = {"token", "submods", "cpu0", "ear.veraison.annotated-evidence"};
      }
      operand.tokens.push_back(path);
      return operand;
    }
    std::string token;
    for (std::size_t i = 1; i <= path.size(); ++i) {
      if (i == path.size() || path[i] == '/') {
        operand.tokens.push_back(std::move(token));
        token.clear();
      } else if (path[i] == '~') {
        if (i + 1 < path.size() && (path[i + 1] == '0' || path[i + 1] == '1')) {
          token += path[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          return bad(where, "claim path \"{}\": '~' at offset {} is not ~0 or ~1", path, i);
        }
      } else {
        token += path[i];
      }
    }
    return operand;
  }

  PolicyKind kind_;
  const PolicyLimits& limits_;
  std::size_t nodes_ = 0;
};

}  // namespace

Result<std::unique_ptr<const CompiledPolicy>> compilePolicy(std::string_view text, PolicyKind kind,
                                                            const PolicyLimits& limits) {
  return Compiler(kind, limits).run(text);
}

}  // namespace cocoon::kbs::policy::detail
