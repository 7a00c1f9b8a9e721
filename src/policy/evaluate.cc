// SPDX-License-Identifier: Apache-2.0
// Evaluates compiled expressions over a JSON input, optionally writing a trace. The
// untraced path allocates nothing: it walks pointer tokens and compares JSON in place.
#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>

#include "policy/expression.h"

namespace cocoon::policy {
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

// Takes `steps` from the budget; false (and exhausted) when it does not hold them.
bool spend(Evaluation& evaluation, std::size_t steps) {
  if (evaluation.exhausted || evaluation.budget < steps) {
    evaluation.budget = 0;
    evaluation.exhausted = true;
    return false;
  }
  if (evaluation.budget != Evaluation::kUnlimited) {
    evaluation.budget -= steps;
  }
  return true;
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

const Json* resolve(const Json* node, const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    if (node == nullptr) {
      return nullptr;
    }
    if (node->is_object()) {
      auto it = node->find(token);
      node = it == node->end() ? nullptr : &*it;
    } else if (node->is_array()) {
      node = arrayElement(*node, token);
    } else {
      return nullptr;
    }
  }
  return node;
}

const Json* resolvePath(const Operand& operand, const Evaluation& evaluation) {
  return resolve(operand.kind == OperandKind::kElement ? evaluation.element : &evaluation.input,
                 operand.tokens);
}

// What an operand stands for during one evaluation: a value, a reference list, or
// nothing (a missing claim or reference).
struct Resolved {
  const Json* value = nullptr;
  const std::vector<Json>* list = nullptr;
  bool is_reference = false;
};

Resolved resolveOperand(const Operand& operand, const Evaluation& evaluation) {
  switch (operand.kind) {
    case OperandKind::kLiteral:
      return {&operand.literal, nullptr, false};
    case OperandKind::kClaim:
    case OperandKind::kElement:
      return {resolvePath(operand, evaluation), nullptr, false};
    case OperandKind::kReference:
      return {nullptr, evaluation.references.find(operand.text), true};
  }
  return {};
}

std::string describe(const Operand& operand, const Resolved& r) {
  switch (operand.kind) {
    case OperandKind::kLiteral:
      return show(r.value);
    case OperandKind::kClaim:
    case OperandKind::kElement:
      return fmt::format("claim {} = {}", operand.text, show(r.value));
    case OperandKind::kReference:
      if (r.list == nullptr) {
        return fmt::format("reference {} (not found)", operand.text);
      }
      return fmt::format("reference {} ({} values)", operand.text, r.list->size());
  }
  return {};
}

bool member(const Json* value, const Resolved& set, Evaluation& evaluation) {
  if (value == nullptr) {
    return false;
  }
  if (set.is_reference) {
    return set.list != nullptr && spend(evaluation, set.list->size()) &&
           std::find(set.list->begin(), set.list->end(), *value) != set.list->end();
  }
  if (set.value == nullptr || !set.value->is_array()) {
    return false;
  }
  return spend(evaluation, set.value->size()) &&
         std::find(set.value->begin(), set.value->end(), *value) != set.value->end();
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

bool compare(const Expr& expr, const Resolved& a, const Resolved& b, Evaluation& evaluation,
             std::string* why) {
  switch (expr.op) {
    case Op::kEq:
      if (a.is_reference) {
        return member(b.value, a, evaluation);
      }
      if (b.is_reference) {
        return member(a.value, b, evaluation);
      }
      return a.value != nullptr && b.value != nullptr && *a.value == *b.value;
    case Op::kIn:
      return member(a.value, b, evaluation);
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

// some: whether the body holds for an element of the collection; every: for all of them.
// An array's elements or an object's member values; anything else has none.
bool quantify(const Expr& expr, Evaluation& evaluation, std::size_t depth, std::size_t& visited) {
  const Json* collection = resolvePath(expr.operands[0], evaluation);
  const bool is_some = expr.op == Op::kSome;
  if (collection == nullptr || !(collection->is_array() || collection->is_object())) {
    return !is_some;
  }
  const Json* saved = evaluation.element;
  bool result = !is_some;
  for (const Json& element : *collection) {
    ++visited;
    if (!spend(evaluation, 1)) {
      result = false;
      break;
    }
    evaluation.element = &element;
    if (evaluate(expr.children[0], evaluation, depth + 1) == is_some) {
      result = is_some;
      break;
    }
  }
  evaluation.element = saved;
  return result && !evaluation.exhausted;
}

}  // namespace

std::string_view opName(Op op) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "eq", "in", "prefix", "regex", "gte", "lte", "all", "any", "not", "exists", "some", "every"};
  return kNames[static_cast<std::size_t>(op)];
}

std::string Explanation::toText() const {
  std::string out;
  for (const TraceLine& line : lines) {
    out.append(2 * line.depth, ' ');
    if (!line.where.empty()) {
      out += line.where;
      out += ": ";
    }
    out += line.text;
    out += '\n';
  }
  return out;
}

bool evaluate(const Expr& expr, Evaluation& evaluation, std::size_t depth) {
  if (!spend(evaluation, 1)) {
    return false;
  }
  Explanation* trace = evaluation.trace;
  auto note = [&](bool result, std::string text) {
    trace->lines.push_back(
        {depth, expr.where, fmt::format("{} -> {}", std::move(text), result ? "true" : "false")});
    return result;
  };
  // all/any/not/some/every print their line before their children's, filled in after.
  const bool is_group = expr.op == Op::kAll || expr.op == Op::kAny || expr.op == Op::kNot ||
                        expr.op == Op::kSome || expr.op == Op::kEvery;
  const std::size_t line = trace != nullptr ? trace->lines.size() : 0;
  if (trace != nullptr && is_group) {
    trace->lines.push_back({depth, expr.where, ""});
  }
  switch (expr.op) {
    case Op::kAll:
    case Op::kAny: {
      const bool is_all = expr.op == Op::kAll;
      bool result = is_all;
      for (const Expr& e : expr.children) {
        if (evaluate(e, evaluation, depth + 1) != is_all) {
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
      const bool result = !evaluate(expr.children[0], evaluation, depth + 1);
      if (trace != nullptr) {
        trace->lines[line].text = fmt::format("not -> {}", result);
      }
      return result;
    }
    case Op::kSome:
    case Op::kEvery: {
      std::size_t visited = 0;
      const bool result = quantify(expr, evaluation, depth, visited);
      if (trace != nullptr) {
        trace->lines[line].text = fmt::format("{} {} ({} elements visited) -> {}", opName(expr.op),
                                              expr.operands[0].text, visited, result);
      }
      return result;
    }
    case Op::kExists: {
      const Json* value = resolvePath(expr.operands[0], evaluation);
      if (trace == nullptr) {
        return value != nullptr;
      }
      return note(value != nullptr, fmt::format("exists {}", expr.operands[0].text));
    }
    default:
      break;
  }
  const Resolved a = resolveOperand(expr.operands[0], evaluation);
  const Resolved b = resolveOperand(expr.operands[1], evaluation);
  if (trace == nullptr) {
    return compare(expr, a, b, evaluation, nullptr);
  }
  std::string why;
  const bool result = compare(expr, a, b, evaluation, &why);
  const std::string right =
      expr.op == Op::kRegex ? show(&expr.operands[1].literal) : describe(expr.operands[1], b);
  return note(result, fmt::format("{} {} vs {}{}", opName(expr.op), describe(expr.operands[0], a),
                                  right, why));
}

}  // namespace cocoon::policy
