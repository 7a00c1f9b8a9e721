// SPDX-License-Identifier: Apache-2.0
// AgentConfig: strict TOML parsing of cocoon-agent's config file.
#include "agent/config.h"

#include <fmt/format.h>

#include "common/files.h"
#include "common/toml.h"

namespace cocoon::agent {
namespace {

Result<std::filesystem::path> absolutePath(const toml::table& table, std::string_view key,
                                           const std::filesystem::path& default_value,
                                           std::string_view where) {
  COCOON_ASSIGN_OR_RETURN(std::string text, getString(table, key, default_value.string()));
  if (!text.empty() && text.front() != '/') {
    return fail(Code::kInvalidArgument, "{}: key \"{}\": expected an absolute path, found \"{}\"",
                where, key, text);
  }
  return std::filesystem::path(text);
}

constexpr std::string_view kKbsScheme = "kbs:///";

Result<AgentKbcConfig> parseKbc(const toml::table& kbc, const std::string& where) {
  COCOON_TRY(rejectUnknownKeys(
      kbc, {"name", "url", "kbs_cert", "kbs_cert_file", "tee", "allow_sample"}, where));
  AgentKbcConfig config;
  COCOON_ASSIGN_OR_RETURN(std::string name, getString(kbc, "name", "cc_kbc"));
  if (name != "cc_kbc") {
    return fail(Code::kInvalidArgument, "{}: name: expected \"cc_kbc\", found \"{}\"", where, name);
  }
  COCOON_ASSIGN_OR_RETURN(config.url, getString(kbc, "url", ""));
  if (!config.url.starts_with("https://") && !config.url.starts_with("http://")) {
    return fail(Code::kInvalidArgument, "{}: url: expected http(s)://HOST[:PORT], found \"{}\"",
                where, config.url);
  }
  COCOON_ASSIGN_OR_RETURN(config.kbs_cert, getString(kbc, "kbs_cert", ""));
  COCOON_ASSIGN_OR_RETURN(config.kbs_cert_file, absolutePath(kbc, "kbs_cert_file", {}, where));
  if (!config.kbs_cert.empty() && !config.kbs_cert_file.empty()) {
    return fail(Code::kInvalidArgument, "{}: kbs_cert and kbs_cert_file exclude each other", where);
  }
  COCOON_ASSIGN_OR_RETURN(config.tee, getString(kbc, "tee", config.tee));
  if (config.tee != "auto" && config.tee != "snp" && config.tee != "tdx" && config.tee != "tpm" &&
      config.tee != "sample") {
    return fail(Code::kInvalidArgument,
                "{}: tee: expected auto, snp, tdx, tpm or sample, found \"{}\"", where, config.tee);
  }
  COCOON_ASSIGN_OR_RETURN(config.allow_sample, getBool(kbc, "allow_sample", false));
  return config;
}

// The URIs must be something the data hub can fetch (or, for the policy, a file).
Status checkImageUris(const AgentConfig& config, std::string_view source_name) {
  const AgentImageConfig& image = config.image;
  const std::string& policy = image.image_security_policy_uri;
  if (!policy.empty() && !policy.starts_with(kKbsScheme) && policy.front() != '/') {
    return fail(Code::kInvalidArgument,
                "{} [image]: image_security_policy_uri: expected an absolute path or "
                "kbs:///repo/type/tag, found \"{}\"",
                source_name, policy);
  }
  const std::string& credentials = image.authenticated_registry_credentials_uri;
  if (!credentials.empty() && !credentials.starts_with(kKbsScheme)) {
    return fail(Code::kInvalidArgument,
                "{} [image]: authenticated_registry_credentials_uri: expected "
                "kbs:///repo/type/tag, found \"{}\"",
                source_name, credentials);
  }
  if (!credentials.empty() && !image.auth_file.empty()) {
    return fail(Code::kInvalidArgument,
                "{} [image]: auth_file and authenticated_registry_credentials_uri exclude each "
                "other",
                source_name);
  }
  for (const std::string* uri : {&policy, &credentials}) {
    if (uri->starts_with(kKbsScheme) && config.kbc.url.empty()) {
      return fail(Code::kInvalidArgument, "{} [image]: {} needs a KBS: [kbc] url is not set",
                  source_name, *uri);
    }
  }
  return okStatus();
}

}  // namespace

Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view source_name) {
  COCOON_ASSIGN_OR_RETURN(toml::table root, parseToml(text, source_name, 64 * 1024));
  COCOON_TRY(rejectUnknownKeys(root, {"state_dir", "oci_runtime", "image", "kbc"}, source_name));
  AgentConfig config;
  COCOON_ASSIGN_OR_RETURN(config.state_dir,
                          absolutePath(root, "state_dir", config.state_dir, source_name));
  COCOON_ASSIGN_OR_RETURN(config.oci_runtime,
                          absolutePath(root, "oci_runtime", config.oci_runtime, source_name));
  if (config.state_dir.empty() || config.oci_runtime.empty()) {
    return fail(Code::kInvalidArgument, "{}: state_dir and oci_runtime must not be empty",
                source_name);
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* image, getTable(root, "image"));
  if (image != nullptr) {
    const std::string where = fmt::format("{} [image]", source_name);
    COCOON_TRY(rejectUnknownKeys(
        *image,
        {"registries_conf", "registries_d", "insecure_registries", "auth_file", "flatten",
         "image_security_policy_uri", "authenticated_registry_credentials_uri"},
        where));
    COCOON_ASSIGN_OR_RETURN(config.image.registries_conf,
                            absolutePath(*image, "registries_conf", {}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.registries_d,
                            absolutePath(*image, "registries_d", {}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.auth_file, absolutePath(*image, "auth_file", {}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.insecure_registries,
                            getStringArray(*image, "insecure_registries"));
    COCOON_ASSIGN_OR_RETURN(config.image.flatten, getBool(*image, "flatten", false));
    COCOON_ASSIGN_OR_RETURN(config.image.image_security_policy_uri,
                            getString(*image, "image_security_policy_uri", ""));
    COCOON_ASSIGN_OR_RETURN(config.image.authenticated_registry_credentials_uri,
                            getString(*image, "authenticated_registry_credentials_uri", ""));
    for (const std::string& registry : config.image.insecure_registries) {
      // The value lands in a TOML string we write: keep it to host[:port] characters.
      if (registry.empty() ||
          registry.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-:[]") != std::string::npos) {
        return fail(Code::kInvalidArgument, "{}: insecure_registries: \"{}\" is not a host[:port]",
                    where, registry);
      }
    }
    if (!config.image.registries_conf.empty() && !config.image.insecure_registries.empty()) {
      return fail(Code::kInvalidArgument,
                  "{}: registries_conf and insecure_registries exclude each other (mark the "
                  "registries insecure in that file)",
                  where);
    }
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* kbc, getTable(root, "kbc"));
  if (kbc != nullptr) {
    COCOON_ASSIGN_OR_RETURN(config.kbc, parseKbc(*kbc, fmt::format("{} [kbc]", source_name)));
  }
  COCOON_TRY(checkImageUris(config, source_name));
  return config;
}

Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, 64 * 1024));
  return parseAgentConfig(text, path.string());
}

std::string insecureRegistriesConf(const std::vector<std::string>& registries) {
  std::string out;
  for (const std::string& registry : registries) {
    out += fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", registry);
  }
  return out;
}

}  // namespace cocoon::agent
