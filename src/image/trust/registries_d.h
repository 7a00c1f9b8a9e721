// SPDX-License-Identifier: Apache-2.0
// containers-registries.d(5): per-registry signature storage settings (lookaside URLs,
// sigstore attachments) read from the *.yaml files of a directory.
// Trust: the directory is the workload owner's configuration (a file tree or a KBS
// resource); parsed strictly, unknown keys refused.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "image/oci/reference.h"

namespace cocoon::image::trust {

// The settings of one scope (a `docker:` entry or `default-docker`).
struct RegistryNamespace {
  std::string lookaside;          // lookaside, or the old name sigstore
  std::string lookaside_staging;  // lookaside-staging, or the old name sigstore-staging
  std::optional<bool> use_sigstore_attachments;
};

struct RegistriesD {
  std::optional<RegistryNamespace> default_docker;
  std::map<std::string, RegistryNamespace> docker;  // scope (as for policy.json) -> settings
};

// Where containers/image reads signatures when no lookaside is configured (root).
inline constexpr std::string_view kDefaultLookaside = "file:///var/lib/containers/sigstore";

// Caps: files read from a directory, and bytes per file.
inline constexpr std::size_t kMaxRegistriesDFiles = 256;
inline constexpr std::size_t kMaxRegistriesDFileBytes = 1 << 20;

// Parses one YAML document (a file's text) into `into`; `source` names it in messages.
// Top-level keys: "default-docker" and "docker" (a map of scopes); per scope: lookaside,
// lookaside-staging, sigstore, sigstore-staging, use-sigstore-attachments.
// Errors, all kInvalidArgument naming the file and key: malformed YAML, an unknown key, a
// value of the wrong type, both lookaside and sigstore (or both staging names) in one
// scope, a scope or default-docker already defined (by this or an earlier file).
Status parseRegistriesDYaml(std::string_view text, std::string_view source, RegistriesD& into);

// Reads every regular "*.yaml" file of `dir` in name order. A missing directory is an
// empty configuration. Errors: those of parseRegistriesDYaml; kResourceExhausted past the
// caps; I/O errors naming the path.
Result<RegistriesD> loadRegistriesD(const std::filesystem::path& dir);

// The lookaside base URL to read signatures of `ref` from: the most specific scope (as
// policy.json scopes) with a lookaside, else default-docker's, else kDefaultLookaside.
// `write` prefers lookaside-staging (for signing).
std::string lookasideFor(const RegistriesD& config, const oci::Reference& ref, bool write = false);

// Whether sigstore attachments are used for `ref`: the most specific scope that sets
// use-sigstore-attachments, else default-docker's, else false.
bool useSigstoreAttachments(const RegistriesD& config, const oci::Reference& ref);

}  // namespace cocoon::image::trust
