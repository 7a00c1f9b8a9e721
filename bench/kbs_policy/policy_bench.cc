// SPDX-License-Identifier: Apache-2.0
// Nanoseconds per attestation policy evaluation, next to its peer: the same checks
// written by hand in C++ over the same JSON input. Prints evaluate/hand-written ratio.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "kbs/policy/policy.h"

namespace cocoon::kbs::policy {
namespace {

using json::Json;

// A realistic owner policy: TEE, measurement against reference values, SVN floor, debug
// off, a version pattern, and the default's hardware claim.
constexpr std::string_view kPolicy = R"({"version":1,"id":"bench","rules":[
  {"id":"debug","when":{"eq":[{"claim":"policy_debug_allowed"},true]},"deny":"debug"},
  {"id":"measured","when":{"all":[
     {"eq":[{"claim":"/tee"},"snp"]},
     {"in":[{"claim":"measurement"},{"reference":"snp.measurement"}]},
     {"gte":[{"claim":"reported_tcb_snp"},8]},
     {"prefix":[{"claim":"platform_version"},"1."]}]},
   "set":{"executables":2,"hardware":2}},
  {"id":"fallback","set":{"executables":33}}],
  "default":{"hardware":97}})";

Json input() {
  Json claims = {{"measurement", std::string(96, 'a')},
                 {"policy_debug_allowed", false},
                 {"reported_tcb_snp", 21},
                 {"platform_version", "1.55"},
                 {"report_data", std::string(128, '0')}};
  for (int i = 0; i < 24; ++i) {
    claims["tpm.pcr" + std::to_string(100 + i).substr(1)] = std::string(64, 'f');
  }
  return makeAttestationInput("snp", claims, Json::object(), Json::object());
}

MapReferenceValues references() {
  MapReferenceValues refs;
  refs.set("snp.measurement", {Json(std::string(96, 'b')), Json(std::string(96, 'a'))});
  return refs;
}

// The peer: the same rules, hand-written against the same JSON and reference values.
TrustVector handWritten(const Json& in, const ReferenceValues& refs) {
  TrustVector v;
  const Json& claims = in["claims"];
  auto debug = claims.find("policy_debug_allowed");
  if (debug != claims.end() && *debug == true) {
    return v;
  }
  bool measured = in["tee"] == "snp";
  auto m = claims.find("measurement");
  const auto* accepted = refs.find("snp.measurement");
  measured = measured && m != claims.end() && accepted != nullptr &&
             std::find(accepted->begin(), accepted->end(), *m) != accepted->end();
  auto tcb = claims.find("reported_tcb_snp");
  measured =
      measured && tcb != claims.end() && tcb->is_number_integer() && tcb->get<std::int64_t>() >= 8;
  auto version = claims.find("platform_version");
  measured = measured && version != claims.end() && version->is_string() &&
             version->get_ref<const std::string&>().starts_with("1.");
  if (measured) {
    v.set(TrustComponent::kExecutables, 2);
    v.set(TrustComponent::kHardware, 2);
  } else {
    v.set(TrustComponent::kExecutables, 33);
  }
  if (!v.isSet(TrustComponent::kHardware)) {
    v.set(TrustComponent::kHardware, 97);
  }
  return v;
}

void policyEvaluate(benchmark::State& state) {
  auto policy = parseAttestationPolicy(kPolicy);
  if (!policy) {
    state.SkipWithError(policy.error().toString().c_str());
    return;
  }
  const Json in = input();
  const MapReferenceValues refs = references();
  if (policy->evaluate(in, refs).vector != handWritten(in, refs)) {
    state.SkipWithError("policy and hand-written peer disagree");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(policy->evaluate(in, refs));
  }
}

void handWrittenPeer(benchmark::State& state) {
  const Json in = input();
  const MapReferenceValues refs = references();
  for (auto _ : state) {
    benchmark::DoNotOptimize(handWritten(in, refs));
  }
}

void policyCompile(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(parseAttestationPolicy(kPolicy));
  }
}

BENCHMARK(policyEvaluate);
BENCHMARK(handWrittenPeer);
BENCHMARK(policyCompile);

// Keeps ns/iteration by benchmark name to print the ratio at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (!run.error_occurred) {
        ns_[run.benchmark_name()] = run.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void printRatio() const {
    auto policy = ns_.find("policyEvaluate");
    auto peer = ns_.find("handWrittenPeer");
    if (policy == ns_.end() || peer == ns_.end() || peer->second <= 0) {
      return;
    }
    std::printf("policy evaluate: %.0f ns, hand-written C++: %.0f ns, ratio %.2fx\n",
                policy->second, peer->second, policy->second / peer->second);
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace
}  // namespace cocoon::kbs::policy

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  cocoon::kbs::policy::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.printRatio();
  benchmark::Shutdown();
  return 0;
}
