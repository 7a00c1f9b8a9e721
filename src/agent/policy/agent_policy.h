// SPDX-License-Identifier: Apache-2.0
// AgentPolicy: decides, before it runs, whether each agent API request from the host may
// run (issue #8 "Agent policy"). The owner sets it (launch configuration / init-data, or
// a KBS resource); the host may replace it only through SetPolicy, and only when the
// policy in force allows SetPolicy.
// Trust: the policy text is the owner's but is parsed strictly (caps, unknown keys
// refused); the request under evaluation is the host's, hostile, and can only make rules
// not match, never make evaluation fail or take long.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "json/json.h"

namespace cocoon::agent::policy {

namespace detail {
struct CompiledAgentPolicy;
}  // namespace detail

// The work one check may do: one step per expression node evaluated, per element that
// some/every visits and per element that "in" scans. A request that needs more is denied
// by the pseudo-rule kBudgetRuleId whatever the rules say (fail closed), so that a huge
// request can neither take long nor pick the outcome. The confidential default takes about
// 1,100 steps for a typical CreateContainer.
inline constexpr std::size_t kEvaluationBudget = 100'000;
inline constexpr std::string_view kBudgetRuleId = "evaluation-budget";

// The outcome of one check. `rule_id` is the rule that decided, or "default".
struct AgentDecision {
  bool allow = false;
  std::string rule_id;
  std::string reason;  // the rule's reason text, or "no rule matched; default <allow|deny>"
};

// A compiled policy. Immutable; evaluate() and check() may run on several threads at once.
// Movable, not copyable.
//
// Input of a check: the request name as in the Kata agent API ("CreateContainer",
// "ExecProcess", ...) and the request message as JSON with the proto field names
// (google::protobuf::util::MessageToJsonString with preserve_proto_field_names, e.g.
// {"container_id": "...", "OCI": {...}, "storages": [...]}). The policy document format
// is in docs/agent-policy.md: rules run in order, and the first whose "requests" names the
// request and whose "when" holds decides; when none does, "default" decides. A request name
// outside the agent API of issue #8 is matched only by rules for "*".
class AgentPolicy {
 public:
  AgentPolicy(AgentPolicy&&) noexcept;
  AgentPolicy& operator=(AgentPolicy&&) noexcept;
  ~AgentPolicy();

  const std::string& id() const;
  // The decision for `request_name` with `request`; never fails. Takes microseconds on
  // real-shaped requests; at most kEvaluationBudget steps on any request.
  AgentDecision evaluate(std::string_view request_name, const json::Json& request) const;
  // evaluate(), as a Status: kPermissionDenied "agent policy <id>: <Request> denied by
  // rule <rule_id>: <reason>" when denied. The agent logs and returns exactly this.
  Status check(std::string_view request_name, const json::Json& request) const;

 private:
  friend Result<AgentPolicy> parseAgentPolicy(std::string_view text);
  explicit AgentPolicy(std::unique_ptr<const detail::CompiledAgentPolicy> compiled);
  std::unique_ptr<const detail::CompiledAgentPolicy> compiled_;
};

// Parses and compiles a policy document. Errors:
//   kInvalidArgument    malformed JSON ("policy: <parser message>"); a missing, unknown or
//                       mistyped key, an unknown request name, operator or operand, a
//                       {"reference": ...} operand (agent policies have no reference
//                       values), a bad claim path or regex, a version other than 1. The
//                       message is "policy <JSON pointer of the bad node>: <what>", e.g.
//                       "policy /rules/0/requests/1: unknown request \"Exec\" (not in the
//                       agent API)".
//   kResourceExhausted  a cap of policy::Limits (64 KiB, nesting 32, 256 rules, 8192 nodes,
//                       regex 256 bytes) exceeded; the message names it.
Result<AgentPolicy> parseAgentPolicy(std::string_view text);

// The confidential default (used when the owner gave none): sandbox and container
// lifecycle allowed; ExecProcess, ReadStdout, ReadStderr, SetPolicy denied; CreateContainer
// denied when it asks for privileges, devices, host namespaces or mounts outside the
// sandbox's own storage.
std::string_view confidentialDefaultPolicyText();
// Allows every request. Development only: the agent uses it only when told explicitly.
std::string_view permissiveDevelopmentPolicyText();

}  // namespace cocoon::agent::policy
