// SPDX-License-Identifier: Apache-2.0
// AgentConfig: the guest owner's settings of cocoon-agent (TOML file given with --config):
// where state lives, which OCI runtime runs containers, and how images are pulled in the
// guest. Image pull settings come from here, never from the host's requests.
// Trust: the file is the owner's (part of the guest image or init-data), parsed strictly.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::agent {

struct AgentImageConfig {
  // containers-registries.conf for the guest pulls; empty: $CONTAINERS_REGISTRIES_CONF,
  // else the system file.
  std::filesystem::path registries_conf;
  // Registries reached over plain HTTP / unverified TLS (tests, local mirrors): the agent
  // writes them into a registries.conf of its own. Excludes registries_conf.
  std::vector<std::string> insecure_registries;
  // containers auth.json for registry credentials; empty: none.
  std::filesystem::path auth_file;
  // One rootfs directory per container instead of an overlayfs over shared layers.
  bool flatten = false;
};

struct AgentConfig {
  // Bundles (containers/<id>/), the layer store (store/), the runtime's state (runtime/).
  std::filesystem::path state_dir = "/run/cocoon/agent";
  // OCI runtime binary; --oci-runtime overrides it.
  std::filesystem::path oci_runtime = "/usr/bin/crun";
  AgentImageConfig image;
};

// Parses the TOML text of a config file:
//   state_dir = "/run/cocoon/agent"
//   oci_runtime = "/usr/bin/crun"
//   [image]
//   registries_conf = "/etc/containers/registries.conf"
//   insecure_registries = ["127.0.0.1:5000"]
//   auth_file = "/etc/cocoon/auth.json"
//   flatten = false
// Absent keys keep the defaults above. Errors: kInvalidArgument naming `source_name`, the
// line and key for a syntax error, an unknown key, a mistyped value, a relative path, or
// both registries_conf and insecure_registries; kResourceExhausted for an oversized file.
Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view source_name);

// readTextFile + parseAgentConfig. Errors: those of both (kNotFound for a missing file).
Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path);

// The registries.conf text that marks each of `registries` insecure (plain HTTP allowed).
std::string insecureRegistriesConf(const std::vector<std::string>& registries);

}  // namespace cocoon::agent
