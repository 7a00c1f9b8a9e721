// SPDX-License-Identifier: Apache-2.0
// Evaluates compiled expressions over a JSON input, optionally writing a trace. The
// untraced path allocates nothing: it walks pointer tokens and compares JSON in place.
#include <regex.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include "kbs/policy/internal/program.h"

namespace cocoon::kbs::policy::detail {
namespace {

using json::Json;

constexpr std::size_t kMaxTraceValueBytes = 80;

// A value as it appears in a trace: compact JSON, cut so that traces stay readable.
std::string show(const Json* value) {
  if (value == nullptr) {
    return "(missing)";
  }
  std::string text = json::dumpCompact(*value);
  if (text.size() > kMaxTraceValueBytes) {
    text.resize(kMaxTraceValueBytes);
    text += "...";
  }
  return text;
}

// RFC 6901 §4: an array index is "0" or digits without a leading zero.
const Json* arrayElement(const Json& array, const std::string& token) {
  std::size_t index = 0;
  if (token.empty() || (token.size() > 1 && token[0] == '0')) {
    return nullptr;
  }
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || end != token.data() + token.size() || index >= array.size()) {
    return nullptr;
  }
  return &array[index];
}

const Json* resolve(const Json& input, const std::vector<std::string>& tokens) {
  const Json* node = &input;
  for (const std::string& token : tokens) {
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) {
        return nullptr;
      }
      node = &*it;
    } else if (node->is_array()) {
      node = arrayElement(*node, token);
      if (node == nullptr) {
        return nullptr;
      }
    } else {
      return nullptr;
    }
  }
  return node;
}

// What an operand stands for during one evaluation: a value, a reference list, or
// nothing (a missing claim or reference).
struct Resolved {
  const Json* value = nullptr;
  const std::vector<Json>* list = nullptr;
  bool isReference = false;
};

Resolved resolveOperand(const Operand& operand, const Json& input,
                        const ReferenceValues& references) {
  switch (operand.kind) {
    case OperandKind::kLiteral:
      return {&operand.literal, nullptr, false};
    case OperandKind::kClaim:
      return {resolve(input, operand.tokens), nullptr, false};
    case OperandKind::kReference:
      return {nullptr, references.find(operand.text), true};
  }
  return {};
}

std::string describe(const Operand& operand, const Resolved& r) {
  switch (operand.kind) {
    case OperandKind::kLiteral:
      return show(r.value);
    case OperandKind::kClaim:
      return fmt::format("claim {} = {}", operand.text, show(r.value));
    case OperandKind::kReference:
      if (r.list == nullptr) {
        return fmt::format("reference {} (not found)", operand.text);
      }
      return fmt::format("reference {} ({} values)", operand.text, r.list->size());
  }
  return {};
}

bool contains(const std::vector<Json>& list, const Json& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool member(const Json* value, const Resolved& set) {
  if (value == nullptr) {
    return false;
  }
  if (set.isReference) {
    return set.list != nullptr && contains(*set.list, *value);
  }
  if (set.value == nullptr || !set.value->is_array()) {
    return false;
  }
  return std::find(set.value->begin(), set.value->end(), *value) != set.value->end();
}

// -1, 0, 1, or nullopt when either is not a number. Integers compare exactly (a claim
// such as an SVN or a 64-bit counter must not round through double).
std::optional<int> compareNumbers(const Json* a, const Json* b) {
  if (a == nullptr || b == nullptr || !a->is_number() || !b->is_number()) {
    return std::nullopt;
  }
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a->is_number_integer() && b->is_number_integer()) {
    const bool a_neg = a->is_number_unsigned() ? false : a->get<std::int64_t>() < 0;
    const bool b_neg = b->is_number_unsigned() ? false : b->get<std::int64_t>() < 0;
    if (a_neg != b_neg) {
      return a_neg ? -1 : 1;
    }
    if (a_neg) {
      return sign(a->get<std::int64_t>(), b->get<std::int64_t>());
    }
    return sign(a->get<std::uint64_t>(), b->get<std::uint64_t>());
  }
  // long double holds every 64-bit integer exactly on x86-64, so 2^64-1 stays below 2^64.
  return sign(a->get<long double>(), b->get<long double>());
}

bool compare(const Expr& expr, const Resolved& a, const Resolved& b, std::string* why) {
  switch (expr.op) {
    case Op::kEq:
      if (a.isReference) {
        return member(b.value, a);
      }
      if (b.isReference) {
        return member(a.value, b);
      }
      return a.value != nullptr && b.value != nullptr && *a.value == *b.value;
    case Op::kIn:
      return member(a.value, b);
    case Op::kPrefix:
      if (a.value == nullptr || b.value == nullptr || !a.value->is_string() ||
          !b.value->is_string()) {
        return false;
      }
      return a.value->get_ref<const std::string&>().starts_with(
          b.value->get_ref<const std::string&>());
    case Op::kGte:
    case Op::kLte: {
      auto order = compareNumbers(a.value, b.value);
      if (!order) {
        return false;
      }
      return expr.op == Op::kGte ? *order >= 0 : *order <= 0;
    }
    case Op::kRegex: {
      if (a.value == nullptr || !a.value->is_string()) {
        return false;
      }
      const auto& text = a.value->get_ref<const std::string&>();
      if (text.size() > kMaxRegexInputBytes || text.find('\0') != std::string::npos) {
        if (why != nullptr) {
          *why = " (input longer than the regex cap or with a NUL byte)";
        }
        return false;
      }
      return expr.regex->fullMatch(text);
    }
    default:
      return false;
  }
}

}  // namespace

std::string_view opName(Op op) {
  static constexpr std::array<std::string_view, 10> kNames = {
      "eq", "in", "prefix", "regex", "gte", "lte", "all", "any", "not", "exists"};
  return kNames[static_cast<std::size_t>(op)];
}

bool evaluateExpr(const Expr& expr, const Json& input, const ReferenceValues& references,
                  Explanation* trace, std::size_t depth) {
  auto note = [&](bool result, std::string text) {
    trace->lines.push_back(
        {depth, expr.where, fmt::format("{} -> {}", std::move(text), result ? "true" : "false")});
    return result;
  };
  switch (expr.op) {
    case Op::kAll:
    case Op::kAny: {
      const bool is_all = expr.op == Op::kAll;
      std::size_t line = trace != nullptr ? trace->lines.size() : 0;
      if (trace != nullptr) {
        trace->lines.push_back({depth, expr.where, ""});
      }
      bool result = is_all;
      for (const Expr& e : expr.children) {
        if (evaluateExpr(e, input, references, trace, depth + 1) != is_all) {
          result = !is_all;
          break;
        }
      }
      if (trace != nullptr) {
        trace->lines[line].text =
            fmt::format("{} of {} -> {}", opName(expr.op), expr.children.size(), result);
      }
      return result;
    }
    case Op::kNot: {
      std::size_t line = trace != nullptr ? trace->lines.size() : 0;
      if (trace != nullptr) {
        trace->lines.push_back({depth, expr.where, ""});
      }
      const bool result = !evaluateExpr(expr.children[0], input, references, trace, depth + 1);
      if (trace != nullptr) {
        trace->lines[line].text = fmt::format("not -> {}", result);
      }
      return result;
    }
    case Op::kExists: {
      const Json* value = resolve(input, expr.operands[0].tokens);
      if (trace == nullptr) {
        return value != nullptr;
      }
      return note(value != nullptr, fmt::format("exists {}", expr.operands[0].text));
    }
    default:
      break;
  }
  const Resolved a = resolveOperand(expr.operands[0], input, references);
  const Resolved b = resolveOperand(expr.operands[1], input, references);
  if (trace == nullptr) {
    return compare(expr, a, b, nullptr);
  }
  std::string why;
  const bool result = compare(expr, a, b, &why);
  const std::string right =
      expr.op == Op::kRegex ? show(&expr.operands[1].literal) : describe(expr.operands[1], b);
  return note(result, fmt::format("{} {} vs {}{}", opName(expr.op), describe(expr.operands[0], a),
                                  right, why));
}

struct CompiledRegex::Impl {
  regex_t re{};
};

CompiledRegex::CompiledRegex() : impl_(std::make_unique<Impl>()) {}

CompiledRegex::~CompiledRegex() {
  regfree(&impl_->re);
}

Result<std::unique_ptr<CompiledRegex>> CompiledRegex::compile(const std::string& pattern) {
  for (std::size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
        return fail(Code::kInvalidArgument, "regex: back-reference at offset {} is not allowed", i);
      }
      ++i;
    }
  }
  if (pattern.find('\0') != std::string::npos) {
    return fail(Code::kInvalidArgument, "regex: NUL byte in the pattern");
  }
  std::unique_ptr<CompiledRegex> out(new CompiledRegex());
  const int rc = regcomp(&out->impl_->re, pattern.c_str(), REG_EXTENDED);
  if (rc != 0) {
    std::array<char, 128> message{};
    regerror(rc, &out->impl_->re, message.data(), message.size());
    // regcomp leaves nothing to free on failure; make the destructor's regfree harmless.
    out->impl_->re = regex_t{};
    return fail(Code::kInvalidArgument, "regex: {}", message.data());
  }
  return out;
}

bool CompiledRegex::fullMatch(const std::string& text) const {
  // POSIX picks the leftmost-longest match, so a match of the whole string exists exactly
  // when the match found starts at 0 and ends at the end. Anchoring this way (rather than
  // wrapping the pattern in ^(...)$) keeps a pattern such as "a)|(b" from escaping it.
  regmatch_t match{};
  if (regexec(&impl_->re, text.c_str(), 1, &match, 0) != 0) {
    return false;
  }
  return match.rm_so == 0 && static_cast<std::size_t>(match.rm_eo) == text.size();
}

}  // namespace cocoon::kbs::policy::detail
