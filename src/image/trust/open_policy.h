// SPDX-License-Identifier: Apache-2.0
// Turns the CLI's policy settings (--policy, --registries-d, --insecure-policy) and the
// image the user typed into the PolicyEnforcer a pull runs, with the containers defaults.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/client.h"
#include "image/trust/enforcer.h"

namespace cocoon::image::trust {

// containers/image's system locations.
inline constexpr std::string_view kDefaultPolicyPath = "/etc/containers/policy.json";
inline constexpr std::string_view kDefaultRegistriesDPath = "/etc/containers/registries.d";

struct PolicySettings {
  std::filesystem::path policy;        // empty: kDefaultPolicyPath
  std::filesystem::path registries_d;  // empty: kDefaultRegistriesDPath (missing: none)
  // Pull without any policy check (skopeo's --insecure-policy).
  bool insecure_policy = false;
  // PEM CA bundle for https lookasides; empty: the system CAs.
  std::string ca_bundle;
};

// The enforcer and the HTTP client its lookaside reads use; `enforcer` is null when
// settings.insecure_policy is set. Destroy as a unit (the enforcer points at the client).
struct OpenedPolicy {
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<PolicyEnforcer> enforcer;
};

// Loads the policy and registries.d for pulling `source_text` ("oci:DIR[:TAG]" is checked
// under the "oci" transport with path scopes, anything else under "docker").
// Errors: kFailedPrecondition when no policy file exists at the default location (as
// containers/image, an image is never pulled without a policy unless insecure_policy says
// so; the message names the path and both ways out); kNotFound for an explicit --policy
// that does not exist; those of loadPolicy, loadRegistriesD and makeCurlHttpClient.
Result<OpenedPolicy> openPolicy(std::string_view source_text, const PolicySettings& settings);

}  // namespace cocoon::image::trust
