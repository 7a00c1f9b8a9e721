// SPDX-License-Identifier: Apache-2.0
// Registry credentials from containers-auth.json(5) / docker config.json files:
// {"auths": {"<registry>[/<namespace>...]": {"auth": base64("user:password")} |
// {"username", "password"}, "identitytoken"}}; where to find those files, and which entry
// applies to an image.
// Trust: the files are the guest owner's configuration; their secrets must never reach a
// log or an error message.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/env.h"

namespace cocoon::image::oci {

// Credentials for one registry scope. The password and identity token live in SecretBytes
// (wiped on destruction, no format/stream operator), so printing a Credentials does not
// compile and an error never carries them. Copyable for the registry client.
struct Credentials {
  std::string username;
  SecretBytes password;
  // An OAuth2 refresh token for the registry's token endpoint ("identitytoken"); when set,
  // it is used instead of the password.
  SecretBytes identity_token;
};

// One parsed auth file: entries by normalised key ("docker.io", "quay.io/ns/repo").
struct AuthFile {
  std::map<std::string, Credentials> auths;
};

// Parses an auth file. Keys are normalised: a legacy "https://host/v1/" key becomes "host";
// "index.docker.io" and "registry-1.docker.io" become "docker.io". Entries with no
// credentials at all (e.g. only a credential helper elsewhere) are skipped; "credsStore",
// "credHelpers" and other top-level members are ignored (the guest runs no helpers).
// Errors (kInvalidArgument; messages name `source_name` and the key, never a secret):
// malformed JSON, "auths" not an object, "auth" that is not strict base64 or has no ':'
// after decoding, "auth" together with a different "username", a wrong member type;
// kResourceExhausted over 1 MiB.
Result<AuthFile> parseAuthFile(std::string_view text, std::string_view source_name);

// The most specific entry for `registry`/`repository`: "registry/a/b/c", then
// "registry/a/b", "registry/a", then "registry" (docker.io keys match registry "docker.io").
const Credentials* findCredentials(const AuthFile& file, std::string_view registry,
                                   std::string_view repository);

// The files to search, in containers/image order: $REGISTRY_AUTH_FILE alone when set;
// else ${XDG_RUNTIME_DIR}/containers/auth.json (when XDG_RUNTIME_DIR is set),
// ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json, and
// ${DOCKER_CONFIG:-$HOME/.docker}/config.json (entries needing $HOME are left out when it
// is unset).
std::vector<std::filesystem::path> authFilePaths(const EnvLookup& env = processEnv);

// The credentials for an image: the first file in `paths` that has a matching entry wins
// (missing files are skipped). nullopt when no file has one (anonymous access).
// Errors: a file that cannot be read (other than missing) or parsed, with its path.
Result<std::optional<Credentials>> lookupCredentials(
    const std::vector<std::filesystem::path>& paths, std::string_view registry,
    std::string_view repository);

}  // namespace cocoon::image::oci
