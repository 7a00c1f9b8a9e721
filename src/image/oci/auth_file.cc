// SPDX-License-Identifier: Apache-2.0
// containers auth.json / docker config.json reading, after containers-auth.json(5) and
// containers/image pkg/docker/config (lookup order, key normalisation).
#include "image/oci/auth_file.h"

#include <unistd.h>

#include "common/encoding.h"
#include "common/files.h"
#include "json/json.h"

namespace cocoon::image::oci {
namespace {

namespace fs = std::filesystem;
using json::Json;

constexpr std::size_t kMaxAuthFileBytes = std::size_t{1} << 20;

// Legacy docker keys are URLs ("https://index.docker.io/v1/"): keep only the host.
std::string normalizeKey(std::string_view key) {
  std::string out;
  if (const std::size_t scheme = key.find("://"); scheme != std::string_view::npos) {
    const std::string_view rest = key.substr(scheme + 3);
    out = std::string(rest.substr(0, rest.find('/')));
  } else {
    out = std::string(key);
    while (!out.empty() && out.back() == '/') {
      out.pop_back();
    }
  }
  const std::size_t slash = out.find('/');
  const std::string_view host = std::string_view(out).substr(0, slash);
  if (host == "index.docker.io" || host == "registry-1.docker.io") {
    out = "docker.io" + (slash == std::string::npos ? std::string() : out.substr(slash));
  }
  return out;
}

// A member that must be a string when present; "" when absent.
Result<std::string> stringMember(const Json& entry, std::string_view key) {
  const auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return fail(Code::kInvalidArgument, "\"{}\" is {}, expected a string", key, it->type_name());
  }
  return it->get_ref<const std::string&>();
}

Result<std::optional<Credentials>> parseEntry(const Json& entry) {
  if (!entry.is_object()) {
    return fail(Code::kInvalidArgument, "entry is {}, expected an object", entry.type_name());
  }
  Credentials c;
  COCOON_ASSIGN_OR_RETURN(const std::string auth, stringMember(entry, "auth"));
  COCOON_ASSIGN_OR_RETURN(c.username, stringMember(entry, "username"));
  COCOON_ASSIGN_OR_RETURN(std::string password, stringMember(entry, "password"));
  COCOON_ASSIGN_OR_RETURN(std::string token, stringMember(entry, "identitytoken"));
  c.password = SecretBytes(toBytes(password));
  c.identity_token = SecretBytes(toBytes(token));
  std::fill(password.begin(), password.end(), '\0');
  std::fill(token.begin(), token.end(), '\0');
  if (!auth.empty()) {
    Result<Bytes> decoded = base64Decode(auth);
    if (!decoded) {
      return fail(Code::kInvalidArgument, "\"auth\" is not valid base64");
    }
    SecretBytes plain(std::move(*decoded));
    const ByteSpan bytes = plain.span();
    const auto colon = std::find(bytes.begin(), bytes.end(), std::uint8_t{':'});
    if (colon == bytes.end()) {
      return fail(Code::kInvalidArgument, "\"auth\" does not decode to user:password");
    }
    const std::string user(bytes.begin(), colon);
    if (!c.username.empty() && c.username != user) {
      return fail(Code::kInvalidArgument, "\"auth\" names another user than \"username\"");
    }
    c.username = user;
    c.password = SecretBytes(ByteSpan(colon + 1, bytes.end()));
  }
  if (c.username.empty() && c.password.empty() && c.identity_token.empty()) {
    return std::optional<Credentials>();
  }
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

Result<AuthFile> parseAuthFile(std::string_view text, std::string_view source_name) {
  auto doc = json::parseJson(text, {.max_bytes = kMaxAuthFileBytes});
  if (!doc) {
    return fail(std::move(doc.error()).addContext(std::string(source_name)));
  }
  if (!doc->is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected a JSON object, found {}", source_name,
                doc->type_name());
  }
  AuthFile file;
  const auto auths = doc->find("auths");
  if (auths == doc->end() || auths->is_null()) {
    return file;
  }
  if (!auths->is_object()) {
    return fail(Code::kInvalidArgument, "{}: \"auths\" is {}, expected an object", source_name,
                auths->type_name());
  }
  for (const auto& [key, entry] : auths->items()) {
    auto creds = parseEntry(entry);
    if (!creds) {
      return fail(Code::kInvalidArgument, "{}: auths {:?}: {}", source_name,
                  std::string_view(key).substr(0, 128), creds.error().message);
    }
    if (*creds) {
      // A normalised key may repeat ("https://index.docker.io/v1/" and "docker.io"); the
      // first one in the file wins, as in containers/image.
      file.auths.emplace(normalizeKey(key), std::move(**creds));
    }
  }
  return file;
}

const Credentials* findCredentials(const AuthFile& file, std::string_view registry,
                                   std::string_view repository) {
  std::string key = std::string(registry) + "/" + std::string(repository);
  while (true) {
    if (auto it = file.auths.find(key); it != file.auths.end()) {
      return &it->second;
    }
    const std::size_t slash = key.rfind('/');
    if (slash == std::string::npos || slash < registry.size()) {
      return nullptr;
    }
    key.resize(slash);
  }
}

std::vector<fs::path> authFilePaths(const EnvLookup& env) {
  auto set = [&](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> value = env(name);
    return value && !value->empty() ? value : std::nullopt;
  };
  if (auto path = set("REGISTRY_AUTH_FILE")) {
    return {fs::path(*path)};
  }
  std::vector<fs::path> out;
  const std::optional<std::string> home = set("HOME");
  if (auto runtime = set("XDG_RUNTIME_DIR")) {
    out.push_back(fs::path(*runtime) / "containers/auth.json");
  } else {
    out.push_back(fs::path(fmt::format("/run/containers/{}/auth.json", getuid())));
  }
  if (auto config = set("XDG_CONFIG_HOME")) {
    out.push_back(fs::path(*config) / "containers/auth.json");
  } else if (home) {
    out.push_back(fs::path(*home) / ".config/containers/auth.json");
  }
  if (auto docker = set("DOCKER_CONFIG")) {
    out.push_back(fs::path(*docker) / "config.json");
  } else if (home) {
    out.push_back(fs::path(*home) / ".docker/config.json");
  }
  return out;
}

Result<std::optional<Credentials>> lookupCredentials(const std::vector<fs::path>& paths,
                                                     std::string_view registry,
                                                     std::string_view repository) {
  for (const fs::path& path : paths) {
    Result<std::string> text = readTextFile(path, kMaxAuthFileBytes);
    if (!text) {
      if (text.error().code == Code::kNotFound) {
        continue;
      }
      return fail(std::move(text).error());
    }
    COCOON_ASSIGN_OR_RETURN(const AuthFile file, parseAuthFile(*text, path.string()));
    std::fill(text->begin(), text->end(), '\0');
    if (const Credentials* c = findCredentials(file, registry, repository)) {
      return std::optional<Credentials>(*c);
    }
  }
  return std::optional<Credentials>();
}

}  // namespace cocoon::image::oci
