// SPDX-License-Identifier: Apache-2.0
// containers-registries.conf(5) version 2 (TOML): unqualified-search registries, short-name
// aliases and mode, and per-prefix [[registry]] tables with location rewrite, insecure,
// blocked and mirrors; and where to fetch an image from according to it.
// Trust: the file is the guest owner's configuration (trusted content, but a typo must
// fail loudly); references resolved against it are untrusted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "image/oci/env.h"
#include "image/oci/reference.h"

namespace cocoon::image::oci {

inline constexpr std::string_view kDefaultRegistriesConfPath = "/etc/containers/registries.conf";
// The host that serves docker.io's registry API.
inline constexpr std::string_view kDockerHubHost = "registry-1.docker.io";

enum class ShortNameMode : std::uint8_t { kUnset, kDisabled, kPermissive, kEnforcing };
enum class PullFromMirror : std::uint8_t { kAll, kDigestOnly, kTagOnly };

struct RegistryMirror {
  std::string location;  // host[:port][/path]
  bool insecure = false;
  PullFromMirror pull_from_mirror = PullFromMirror::kAll;
};

// One [[registry]] table.
struct RegistryEntry {
  std::string prefix;    // "host[:port][/path]" or "*.domain"; defaults to location
  std::string location;  // "" only with a wildcard prefix (no rewrite)
  bool insecure = false;
  bool blocked = false;
  bool mirror_by_digest_only = false;
  std::vector<RegistryMirror> mirrors;
};

struct RegistriesConf {
  // nullopt when no file set it (a drop-in that sets it replaces the list).
  std::optional<std::vector<std::string>> unqualified_search_registries;
  ShortNameMode short_name_mode = ShortNameMode::kUnset;
  std::vector<RegistryEntry> registries;
  // [aliases]: short name -> fully qualified name (recorded; used by shortNameCandidates).
  std::map<std::string, std::string> aliases;
  // credential-helpers, recorded but not run (the guest runs no helper binaries).
  std::vector<std::string> credential_helpers;
};

// Where to fetch a reference from: host ("registry-1.docker.io", "mirror:5000") and the
// repository path on that host.
struct Endpoint {
  std::string host;
  std::string repository;
  bool insecure = false;  // plain HTTP (and unverified TLS) allowed
  bool mirror = false;
  bool operator==(const Endpoint&) const = default;
};

// Parses one registries.conf text; `source_name` (the path) prefixes errors. Unknown keys
// are refused. Errors (kInvalidArgument, "<source>:line:col: ..." where known): TOML syntax,
// an unknown key, a wrong type, a version 1 file ([registries.search] etc.), a location or
// prefix with a URI scheme or otherwise not host[:port][/path], a wildcard other than a
// leading "*.", a [[registry]] with neither prefix nor location, a prefix defined twice, an
// unknown short-name-mode or pull-from-mirror value, pull-from-mirror together with
// mirror-by-digest-only; kResourceExhausted for a file over 1 MiB.
Result<RegistriesConf> parseRegistriesConf(std::string_view text, std::string_view source_name);

// $CONTAINERS_REGISTRIES_CONF when set and non-empty, else kDefaultRegistriesConfPath.
std::filesystem::path registriesConfPath(const EnvLookup& env = processEnv);

// Reads `path` (a missing file is an empty config), then the drop-ins "<path>.d/*.conf" in
// lexical order: a drop-in's unqualified-search-registries, short-name-mode and
// credential-helpers replace earlier ones, a [[registry]] replaces the one with the same
// prefix (else is added), an alias replaces the earlier one and "" erases it.
// Errors: those of parseRegistriesConf and readTextFile, naming the file.
Result<RegistriesConf> loadRegistriesConf(const std::filesystem::path& path);

// The endpoints to try for `ref`, in order: the mirrors of the [[registry]] with the longest
// matching prefix (skipping digest-only mirrors for tag references and tag-only ones for
// digest references), then the primary location with the prefix rewritten. Without a
// matching entry: the reference's own registry over HTTPS. docker.io becomes
// registry-1.docker.io in every endpoint.
// Errors: kPermissionDenied "<name> is blocked by registries.conf prefix <prefix>";
// kInvalidArgument when a rewrite yields an invalid repository.
Result<std::vector<Endpoint>> resolve(const RegistriesConf& conf, const Reference& ref);

// The fully qualified references to try for `ref`: itself when it is not a short name; the
// alias when one matches its short path (tag/digest kept); else one per
// unqualified-search registry in order; else (no list configured) the docker.io form, as
// docker does. Errors: kFailedPrecondition when the configured list is empty; those of
// parseReference / qualifyShortName for a bad alias or search registry.
Result<std::vector<Reference>> shortNameCandidates(const RegistriesConf& conf,
                                                   const Reference& ref);

}  // namespace cocoon::image::oci
