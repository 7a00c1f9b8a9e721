// SPDX-License-Identifier: Apache-2.0
// Fuzzes policy compilation (attestation and resource kinds) and, for documents that
// compile, evaluation and explain() over fixed inputs: nothing may crash, and explain()
// must decide exactly as evaluate() does.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kbs/policy/policy.h"

namespace {

using cocoon::json::Json;
namespace policy = cocoon::kbs::policy;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const Json& attestationInput() {
  static const Json input =
      policy::makeAttestationInput("snp",
                                   Json{{"measurement", "aa11"},
                                        {"svn", 7},
                                        {"list", Json::array({1, "a", nullptr})},
                                        {"tpm.pcr08", "00"}},
                                   Json{{"aa.toml", "x"}}, Json{{"nonce", "n"}});
  return input;
}

const Json& resourceInput() {
  static const Json input = policy::makeResourceInput(
      "default/key/1",
      Json{{"submods",
            {{"cpu0",
              {{"ear.status", "affirming"},
               {"ear.veraison.annotated-evidence", {{"sample", {{"svn", 1}}}}}}}}}});
  return input;
}

const policy::MapReferenceValues& references() {
  static const policy::MapReferenceValues refs(
      {{"m", {Json("aa11"), Json(7)}}, {"empty", {}}, {"a", {Json("a")}}});
  return refs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto p = policy::parseAttestationPolicy(text)) {
    auto decision = p->evaluate(attestationInput(), references());
    policy::Explanation trace;
    auto explained = p->explain(attestationInput(), references(), trace);
    require(decision.allow == explained.allow && decision.vector == explained.vector);
    (void)trace.toText();
  }
  if (auto p = policy::parseResourcePolicy(text)) {
    auto decision = p->evaluate(resourceInput(), references());
    policy::Explanation trace;
    auto explained = p->explain(resourceInput(), references(), trace);
    require(decision.allow == explained.allow && decision.rule_id == explained.rule_id);
  }
  return 0;
}
