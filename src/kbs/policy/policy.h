// SPDX-License-Identifier: Apache-2.0
// The KBS policy engine: JSON rule documents (docs/policy.md) compiled once into an
// expression tree and evaluated in microseconds, for the attestation policy (claims ->
// allow + AR4SI trust vector) and the resource policy (token claims + path -> allow).
// Trust: policy text comes from the authenticated admin, but is still parsed strictly
// (size, depth and node caps, unknown keys refused); evaluation inputs hold
// attacker-influenced claims and never make evaluation fail, only rules not match.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "json/json.h"
#include "kbs/policy/reference_values.h"
#include "kbs/policy/trust_vector.h"
#include "policy/expression.h"

namespace cocoon::kbs::policy {

namespace detail {
struct CompiledPolicy;
}  // namespace detail

// Caps on a policy document (STYLE.md §5.6); exceeding one fails parsing with
// kResourceExhausted. The expression language and its caps are shared with the agent
// policy (policy/expression.h).
using PolicyLimits = cocoon::policy::Limits;

// Inputs longer than this never match a regex (the trace says so): a bound on the work
// an attacker-chosen claim can cause.
inline constexpr std::size_t kMaxRegexInputBytes = cocoon::policy::kMaxRegexInputBytes;

// A dry run's trace (one TraceLine per evaluated node, in order). Claims are evidence, not
// secrets, but a trace is meant for the policy author.
using TraceLine = cocoon::policy::TraceLine;
using Explanation = cocoon::policy::Explanation;

struct AttestationDecision {
  bool allow = false;
  TrustVector vector;
  std::string policy_id;
  // One sentence: the deny reason and its rule, or the resulting status.
  std::string explanation;
};

struct ResourceDecision {
  bool allow = false;
  std::string policy_id;
  std::string rule_id;  // the rule that decided; "default" when none matched
  std::string reason;   // the rule's reason text, or "no rule matched; default <allow|deny>"
};

// A compiled attestation policy. Immutable after parsing; evaluate() and explain() are
// safe to call from several threads at once. Movable, not copyable.
//
// Input (built by the KBS): {"tee": "<tee name>", "claims": {...verifier claims...},
// "init_data_claims": {...}, "runtime_data_claims": {...}}. A bare claim name
// ({"claim": "tpm.pcr08"}) is looked up in "claims".
//
// Semantics (docs/policy.md §Attestation): rules run in order; a matching "set" rule
// assigns each of its components that no earlier rule assigned (the first assignment
// wins, like a Rego else-chain); a matching "deny" rule ends evaluation with allow =
// false. After the rules, "default" fills components still unset. allow is true unless a
// deny rule matched or no component ended up set.
class AttestationPolicy {
 public:
  AttestationPolicy(AttestationPolicy&&) noexcept;
  AttestationPolicy& operator=(AttestationPolicy&&) noexcept;
  ~AttestationPolicy();

  const std::string& id() const;
  AttestationDecision evaluate(const json::Json& input, const ReferenceValues& references) const;
  // evaluate() plus a trace of every rule and comparison.
  AttestationDecision explain(const json::Json& input, const ReferenceValues& references,
                              Explanation& trace) const;

 private:
  friend Result<AttestationPolicy> parseAttestationPolicy(std::string_view, const PolicyLimits&);
  explicit AttestationPolicy(std::unique_ptr<const detail::CompiledPolicy> compiled);
  std::unique_ptr<const detail::CompiledPolicy> compiled_;
};

// A compiled resource policy; same threading as AttestationPolicy.
//
// Input: {"resource_path": "repo/type/tag", "token": {...claims of the EAR token...}}.
// A bare claim name is looked up in the token's
// /submods/cpu0/ear.veraison.annotated-evidence object.
//
// Semantics (docs/policy.md §Resource): rules run in order and the first matching
// "allow" or "deny" rule decides; when none matches, "default" ("allow" or "deny") does.
class ResourcePolicy {
 public:
  ResourcePolicy(ResourcePolicy&&) noexcept;
  ResourcePolicy& operator=(ResourcePolicy&&) noexcept;
  ~ResourcePolicy();

  const std::string& id() const;
  ResourceDecision evaluate(const json::Json& input, const ReferenceValues& references) const;
  ResourceDecision explain(const json::Json& input, const ReferenceValues& references,
                           Explanation& trace) const;

 private:
  friend Result<ResourcePolicy> parseResourcePolicy(std::string_view, const PolicyLimits&);
  explicit ResourcePolicy(std::unique_ptr<const detail::CompiledPolicy> compiled);
  std::unique_ptr<const detail::CompiledPolicy> compiled_;
};

// Parse and compile a policy document. Fail with:
//   kInvalidArgument    malformed JSON; a missing, mistyped or unknown key; an unknown
//                       operator; a wrong operand count; a rule effect of the other policy
//                       kind; an invalid claim path, regex or trust component; a version
//                       other than 1. The message starts with the JSON pointer of the bad
//                       node ("policy /rules/2/when/any/0: unknown operator \"equals\"").
//   kResourceExhausted  a cap of `limits` exceeded (the message names it).
Result<AttestationPolicy> parseAttestationPolicy(std::string_view text,
                                                 const PolicyLimits& limits = {});
Result<ResourcePolicy> parseResourcePolicy(std::string_view text, const PolicyLimits& limits = {});

// The built-in policies, as policy documents (docs/policy.md shows them).
// Attestation: "hardware" 2 for every hardware TEE the evidence came from (the verifier
// checked its chain), "runtime-opaque" 2 for memory-encrypting TEEs, and both 96
// (contraindicated) for the sample TEEs; allows everything else.
std::string_view defaultAttestationPolicyText();
// Resource: denies evidence from the sample TEEs (annotated evidence under "sample" or
// "sampledevice", or the token's development-only marker) and contraindicated
// appraisals; allows the rest.
std::string_view defaultResourcePolicyText();
// Resource, for `--allow-sample` development setups: denies contraindicated appraisals
// of hardware TEEs only, so sample evidence gets its resources.
std::string_view developmentResourcePolicyText();

// Builds the attestation policy input documented above.
json::Json makeAttestationInput(std::string_view tee, json::Json claims,
                                json::Json init_data_claims, json::Json runtime_data_claims);
// Builds the resource policy input documented above.
json::Json makeResourceInput(std::string_view resource_path, json::Json token_claims);

}  // namespace cocoon::kbs::policy
