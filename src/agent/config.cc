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

}  // namespace

Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view source_name) {
  COCOON_ASSIGN_OR_RETURN(toml::table root, parseToml(text, source_name, 64 * 1024));
  COCOON_TRY(rejectUnknownKeys(root, {"state_dir", "oci_runtime", "image"}, source_name));
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
        *image, {"registries_conf", "insecure_registries", "auth_file", "flatten"}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.registries_conf,
                            absolutePath(*image, "registries_conf", {}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.auth_file, absolutePath(*image, "auth_file", {}, where));
    COCOON_ASSIGN_OR_RETURN(config.image.insecure_registries,
                            getStringArray(*image, "insecure_registries"));
    COCOON_ASSIGN_OR_RETURN(config.image.flatten, getBool(*image, "flatten", false));
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
