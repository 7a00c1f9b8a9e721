// SPDX-License-Identifier: Apache-2.0
// Fuzzes agent policy compilation and evaluation. The input is a policy document, then
// optionally a NUL byte and a request (JSON): the fuzzed policy is evaluated over the
// fuzzed request and a fixed one, and the confidential default over the fuzzed request.
// Nothing may crash, and check() must agree with evaluate().
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/policy/agent_policy.h"

namespace {

using cocoon::json::Json;
namespace policy = cocoon::agent::policy;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const Json& fixedRequest() {
  static const Json request = {
      {"container_id", "c1"},
      {"OCI",
       {{"Mounts", Json::array({Json{{"destination", "/proc"}, {"type", "proc"}},
                                Json{{"destination", "/etc/hosts"},
                                     {"type", "bind"},
                                     {"source", "/run/kata-containers/shared/containers/h"},
                                     {"options", Json::array({"rbind", "ro"})}}})},
        {"Process", {{"Capabilities", {{"Bounding", Json::array({"CAP_KILL"})}}}}},
        {"Linux",
         {{"Namespaces", Json::array({Json{{"Type", "pid"}}, Json{{"Type", "mount"}}})}}}}}};
  return request;
}

const policy::AgentPolicy& confidential() {
  static const policy::AgentPolicy p =
      std::move(*policy::parseAgentPolicy(policy::confidentialDefaultPolicyText()));
  return p;
}

void exercise(const policy::AgentPolicy& p, const Json& request) {
  for (std::string_view name : {"CreateContainer", "ExecProcess", "SetPolicy", "NoSuchRequest"}) {
    const policy::AgentDecision decision = p.evaluate(name, request);
    require(decision.allow == p.check(name, request).has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view policy_text = input.substr(0, split);
  Json request;
  bool have_request = false;
  if (split != std::string_view::npos) {
    if (auto parsed = cocoon::json::parseJson(input.substr(split + 1))) {
      request = std::move(*parsed);
      have_request = true;
      exercise(confidential(), request);
    }
  }
  if (auto p = policy::parseAgentPolicy(policy_text)) {
    exercise(*p, fixedRequest());
    if (have_request) {
      exercise(*p, request);
    }
  }
  return 0;
}
