// SPDX-License-Identifier: Apache-2.0
// AgentConfig: the guest owner's settings of cocoon-agent (TOML file given with --config):
// where state lives, which OCI runtime runs containers, and how images are pulled in the
// guest. Image pull settings come from here, never from the host's requests.
// The [kbc] table and the [image] URIs carry what init-data's cdh.toml says (guest-components'
// confidential data hub names: [kbc] url/kbs_cert, [image] image_security_policy_uri and
// authenticated_registry_credentials_uri), so the runtime can copy them across unchanged.
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
  // containers-registries.d directory saying where signatures are (lookaside, sigstore
  // attachments); empty: one the agent writes under state_dir that reads cosign signatures
  // from the registry's sha256-<digest>.sig attachments for every registry, as CoCo's
  // guests look for them.
  std::filesystem::path registries_d;
  // Registries reached over plain HTTP / unverified TLS (tests, local mirrors): the agent
  // writes them into a registries.conf of its own. Excludes registries_conf.
  std::vector<std::string> insecure_registries;
  // containers auth.json for registry credentials; empty: none.
  std::filesystem::path auth_file;
  // One rootfs directory per container instead of an overlayfs over shared layers.
  bool flatten = false;
  // The containers-policy.json every guest pull is checked against: an absolute path, or
  // "kbs:///repo/type/tag" fetched through the data hub (after attestation) for each pull
  // and kept in a memfd only. Empty: pulls are not signature-checked.
  std::string image_security_policy_uri;
  // "kbs:///repo/type/tag" holding a containers auth.json ({"auths": {...}}) fetched
  // through the data hub for each pull (kept in a memfd only). Excludes auth_file.
  std::string authenticated_registry_credentials_uri;
};

// The KBS the guest's data hub attests to (cdh.toml's [kbc], aa.toml's
// [token_configs.kbs]). It releases the keys of encrypted layers
// (provider.attestation-agent), and the kbs:/// policy and credentials above.
struct AgentKbcConfig {
  // KBS base URL ("https://kbs.example:8080"; "http://" for loopback tests). Empty: no data
  // hub: encrypted layers and kbs:/// URIs fail.
  std::string url;
  // The KBS's certificate or CA as PEM text (cdh.toml's kbs_cert), or a file holding it;
  // at most one. Required for https: the guest never trusts a system CA store.
  std::string kbs_cert;
  std::filesystem::path kbs_cert_file;
  // Which TEE proves the guest: auto, snp, tdx, tpm, or sample (proves nothing; only with
  // allow_sample, for development and tests).
  std::string tee = "auto";
  bool allow_sample = false;
  // The owner's init-data document (TOML) the data hub sends in the KBS Attestation
  // message; set from the digest-checked init-data (agent/initdata.h), never from a file.
  std::string init_data;
};

struct AgentConfig {
  // Bundles (containers/<id>/), the layer store (store/), the runtime's state (runtime/).
  std::filesystem::path state_dir = "/run/cocoon/agent";
  // OCI runtime binary; --oci-runtime overrides it.
  std::filesystem::path oci_runtime = "/usr/bin/crun";
  AgentImageConfig image;
  AgentKbcConfig kbc;
};

// Parses the TOML text of a config file:
//   state_dir = "/run/cocoon/agent"
//   oci_runtime = "/usr/bin/crun"
//   [image]
//   registries_conf = "/etc/containers/registries.conf"
//   registries_d = "/etc/containers/registries.d"
//   insecure_registries = ["127.0.0.1:5000"]
//   auth_file = "/etc/cocoon/auth.json"
//   flatten = false
//   image_security_policy_uri = "kbs:///default/security-policy/test"
//   authenticated_registry_credentials_uri = "kbs:///default/credential/test"
//   [kbc]
//   name = "cc_kbc"          # optional; the only KBC there is
//   url = "https://kbs.example:8080"
//   kbs_cert = """-----BEGIN CERTIFICATE----- ..."""   # or kbs_cert_file = "/etc/..."
//   tee = "auto"
//   allow_sample = false
// Absent keys keep the defaults above. Errors: kInvalidArgument naming `source_name`, the
// line and key for a syntax error, an unknown key, a mistyped value, a relative path, both
// registries_conf and insecure_registries, both auth_file and a credentials URI, both
// kbs_cert and kbs_cert_file, a policy URI that is neither an absolute path nor kbs:///,
// a kbs:/// URI without [kbc] url, a tee other than the five names, a name other than
// cc_kbc; kResourceExhausted for an oversized file.
Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view source_name);

// readTextFile + parseAgentConfig. Errors: those of both (kNotFound for a missing file).
Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path);

// The registries.conf text that marks each of `registries` insecure (plain HTTP allowed).
std::string insecureRegistriesConf(const std::vector<std::string>& registries);

}  // namespace cocoon::agent
