// SPDX-License-Identifier: Apache-2.0
// openPolicy: defaults, the missing-policy refusal, and the transport of the source.
#include "image/trust/open_policy.h"

#include <system_error>

#include "http/curl_client.h"

namespace cocoon::image::trust {
namespace {

constexpr std::string_view kOciPrefix = "oci:";

// "oci:DIR[:TAG]" as openImageSource reads it.
PolicyTarget targetOf(std::string_view text) {
  PolicyTarget target;
  if (!text.starts_with(kOciPrefix)) {
    return target;
  }
  std::string_view spec = text.substr(kOciPrefix.size());
  std::string_view dir = spec;
  std::string_view tag = "latest";
  auto colon = spec.rfind(':');
  if (colon != std::string_view::npos && spec.find('/', colon) == std::string_view::npos) {
    dir = spec.substr(0, colon);
    tag = spec.substr(colon + 1);
  }
  target.transport = std::string(kOciTransport);
  target.layout_dir = std::string(dir);
  target.layout_tag = std::string(tag);
  return target;
}

}  // namespace

Result<OpenedPolicy> openPolicy(std::string_view source_text, const PolicySettings& settings) {
  OpenedPolicy out;
  if (settings.insecure_policy) {
    return out;
  }
  const bool explicit_policy = !settings.policy.empty();
  const std::filesystem::path policy_path =
      explicit_policy ? settings.policy : std::filesystem::path(kDefaultPolicyPath);
  std::error_code ec;
  if (!explicit_policy && !std::filesystem::exists(policy_path, ec)) {
    return fail(Code::kFailedPrecondition,
                "no signature policy: {} does not exist; pass --policy FILE, or "
                "--insecure-policy to pull without signature checks",
                policy_path.string());
  }
  COCOON_ASSIGN_OR_RETURN(Policy policy, loadPolicy(policy_path));
  COCOON_ASSIGN_OR_RETURN(
      RegistriesD registries_d,
      loadRegistriesD(settings.registries_d.empty() ? std::filesystem::path(kDefaultRegistriesDPath)
                                                    : settings.registries_d));
  http::CurlClientOptions http_options;
  http_options.ca_bundle_file = settings.ca_bundle;
  COCOON_ASSIGN_OR_RETURN(out.http, http::makeCurlHttpClient(http_options));
  out.enforcer = std::make_unique<PolicyEnforcer>(std::move(policy), std::move(registries_d),
                                                  targetOf(source_text), out.http.get());
  return out;
}

}  // namespace cocoon::image::trust
