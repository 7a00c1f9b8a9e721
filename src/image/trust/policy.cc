// SPDX-License-Identifier: Apache-2.0
// containers-policy.json parsing (strict: unknown fields and types are errors) and scope
// lookup.
#include "image/trust/policy.h"

#include <algorithm>
#include <initializer_list>

#include "common/encoding.h"
#include "common/files.h"
#include "json/json.h"

namespace cocoon::image::trust {
namespace {

using json::Json;

std::string member(const std::string& path, std::string_view key) {
  return fmt::format("{}.{}", path, key);
}

std::string quoted(const std::string& path, std::string_view key) {
  return fmt::format("{}[\"{}\"]", path, key);
}

std::string_view typeName(const Json& v) {
  return v.type_name();
}

Status requireObject(const Json& v, const std::string& path) {
  if (!v.is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected an object, found {}", path, typeName(v));
  }
  return okStatus();
}

// Every member of `object` must be in `allowed`.
Status onlyFields(const Json& object, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return fail(Code::kInvalidArgument, "{}: unknown field \"{}\"", path, key);
    }
  }
  return okStatus();
}

Result<std::string> stringField(const Json& object, std::string_view key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) {
    return fail(Code::kInvalidArgument, "{}: missing", member(path, key));
  }
  if (!it->is_string()) {
    return fail(Code::kInvalidArgument, "{}: expected a string, found {}", member(path, key),
                typeName(*it));
  }
  return it->get<std::string>();
}

// True when a docker reference text carries a tag or a digest.
bool hasTagOrDigest(std::string_view text) {
  if (text.find('@') != std::string_view::npos) {
    return true;
  }
  std::size_t slash = text.rfind('/');
  return text.find(':', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
}

bool isHostLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// A host[:port] alone, as a registry-level scope or remap prefix.
Status validateHost(std::string_view host, const std::string& path) {
  auto parsed = oci::parseReference(std::string(host) + "/x");
  if (!parsed || parsed->is_short_name || parsed->registry != host) {
    return fail(Code::kInvalidArgument, "{}: \"{}\" is not a registry host[:port]", path, host);
  }
  return okStatus();
}

// A normalised repository or namespace name ("host/ns/repo", "host/ns") or a host.
Status validateName(std::string_view name, const std::string& path) {
  if (name.find('/') == std::string_view::npos) {
    return validateHost(name, path);
  }
  // Namespaces are prefixes of normalised names and are not normalised themselves:
  // "docker.io/openshift" is the namespace of docker.io/openshift/origin.
  auto parsed = oci::parseReference(name);
  if (!parsed || parsed->is_short_name || !name.starts_with(parsed->registry + "/") ||
      hasTagOrDigest(name.substr(parsed->registry.size()))) {
    return fail(Code::kInvalidArgument,
                "{}: \"{}\" is not a normalised repository or namespace (host/path, e.g. "
                "docker.io/library/busybox)",
                path, name);
  }
  return okStatus();
}

// containers-policy.json(5) "docker" scopes: a reference with tag or digest, a repository,
// a namespace, a host[:port], or *.domain. Scopes that could never match an image (not
// normalised, e.g. "busybox") are refused instead of silently ignored.
Status validateDockerScope(std::string_view scope, const std::string& path) {
  if (scope.starts_with("*.")) {
    std::string_view domain = scope.substr(2);
    bool ok = !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
              domain.find("..") == std::string_view::npos &&
              std::all_of(domain.begin(), domain.end(),
                          [](char c) { return isHostLabelChar(c) || c == '.'; });
    if (!ok) {
      return fail(Code::kInvalidArgument, "{}: \"{}\" is not a *.domain wildcard", path, scope);
    }
    return okStatus();
  }
  if (hasTagOrDigest(scope) && scope.find('/') != std::string_view::npos) {
    auto parsed = oci::parseReference(scope);
    if (!parsed || parsed->is_short_name || parsed->toString() != scope) {
      return fail(Code::kInvalidArgument,
                  "{}: \"{}\" is not a normalised image reference (host/path:tag or "
                  "host/path@digest)",
                  path, scope);
    }
    return okStatus();
  }
  return validateName(scope, path);
}

Result<oci::Reference> identityReference(const std::string& text, const std::string& path,
                                         std::string_view key) {
  auto ref = oci::parseReference(text);
  if (!ref) {
    return fail(Code::kInvalidArgument, "{}: {}", member(path, key), ref.error().message);
  }
  return ref;
}

Result<SignedIdentity> parseIdentity(const Json& v, const std::string& path) {
  COCOON_TRY(requireObject(v, path));
  COCOON_ASSIGN_OR_RETURN(std::string type, stringField(v, "type", path));
  SignedIdentity id;
  if (type == "matchExact" || type == "matchRepoDigestOrExact" || type == "matchRepository") {
    COCOON_TRY(onlyFields(v, path, {"type"}));
    id.kind = type == "matchExact"               ? IdentityKind::kMatchExact
              : type == "matchRepoDigestOrExact" ? IdentityKind::kMatchRepoDigestOrExact
                                                 : IdentityKind::kMatchRepository;
  } else if (type == "exactReference") {
    COCOON_TRY(onlyFields(v, path, {"type", "dockerReference"}));
    COCOON_ASSIGN_OR_RETURN(std::string text, stringField(v, "dockerReference", path));
    COCOON_ASSIGN_OR_RETURN(oci::Reference ref, identityReference(text, path, "dockerReference"));
    if (!hasTagOrDigest(text)) {
      return fail(Code::kInvalidArgument, "{}: \"{}\" has neither a tag nor a digest",
                  member(path, "dockerReference"), text);
    }
    id.kind = IdentityKind::kExactReference;
    id.docker_reference = ref.toString();
  } else if (type == "exactRepository") {
    COCOON_TRY(onlyFields(v, path, {"type", "dockerRepository"}));
    COCOON_ASSIGN_OR_RETURN(std::string text, stringField(v, "dockerRepository", path));
    COCOON_ASSIGN_OR_RETURN(oci::Reference ref, identityReference(text, path, "dockerRepository"));
    id.kind = IdentityKind::kExactRepository;
    id.docker_repository = ref.name();
  } else if (type == "remapIdentity") {
    COCOON_TRY(onlyFields(v, path, {"type", "prefix", "signedPrefix"}));
    COCOON_ASSIGN_OR_RETURN(id.prefix, stringField(v, "prefix", path));
    COCOON_ASSIGN_OR_RETURN(id.signed_prefix, stringField(v, "signedPrefix", path));
    COCOON_TRY(validateName(id.prefix, member(path, "prefix")));
    COCOON_TRY(validateName(id.signed_prefix, member(path, "signedPrefix")));
    id.kind = IdentityKind::kRemapIdentity;
  } else {
    return fail(Code::kInvalidArgument, "{}: unknown identity type \"{}\"", member(path, "type"),
                type);
  }
  return id;
}

// keyPath / keyPaths / keyData: exactly one of those `allowed` present.
Status parseKeys(const Json& v, const std::string& path, bool allow_key_paths, Requirement& r) {
  int given = 0;
  if (auto it = v.find("keyPath"); it != v.end()) {
    COCOON_ASSIGN_OR_RETURN(std::string p, stringField(v, "keyPath", path));
    r.key_paths.emplace_back(p);
    ++given;
  }
  if (auto it = v.find("keyPaths"); it != v.end() && allow_key_paths) {
    const std::string where = member(path, "keyPaths");
    if (!it->is_array() || it->empty()) {
      return fail(Code::kInvalidArgument, "{}: expected a non-empty array of strings", where);
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        return fail(Code::kInvalidArgument, "{}[{}]: expected a string, found {}", where, i,
                    typeName((*it)[i]));
      }
      r.key_paths.emplace_back((*it)[i].get<std::string>());
    }
    ++given;
  }
  if (auto it = v.find("keyData"); it != v.end()) {
    COCOON_ASSIGN_OR_RETURN(std::string text, stringField(v, "keyData", path));
    auto data = base64Decode(text);
    if (!data || data->empty()) {
      return fail(Code::kInvalidArgument, "{}: not non-empty base64", member(path, "keyData"));
    }
    r.key_data = std::move(*data);
    ++given;
  }
  if (given != 1) {
    return fail(Code::kInvalidArgument, "{}: exactly one of {} must be given, found {}", path,
                allow_key_paths ? "keyPath, keyPaths, keyData" : "keyPath, keyData", given);
  }
  return okStatus();
}

Result<Requirement> parseRequirement(const Json& v, const std::string& path) {
  COCOON_TRY(requireObject(v, path));
  COCOON_ASSIGN_OR_RETURN(std::string type, stringField(v, "type", path));
  Requirement r;
  if (type == "insecureAcceptAnything" || type == "reject") {
    COCOON_TRY(onlyFields(v, path, {"type"}));
    r.kind = type == "reject" ? RequirementKind::kReject : RequirementKind::kInsecureAcceptAnything;
    return r;
  }
  if (type == "signedBy") {
    r.kind = RequirementKind::kSignedBy;
    COCOON_TRY(onlyFields(v, path,
                          {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"}));
    COCOON_ASSIGN_OR_RETURN(std::string key_type, stringField(v, "keyType", path));
    if (key_type == "X509Certificates" || key_type == "signedByGPGKeys" ||
        key_type == "signedByX509CAs") {
      return fail(Code::kUnimplemented, "{}: keyType \"{}\" is not supported (only GPGKeys)",
                  member(path, "keyType"), key_type);
    }
    if (key_type != "GPGKeys") {
      return fail(Code::kInvalidArgument, "{}: unknown keyType \"{}\"", member(path, "keyType"),
                  key_type);
    }
    COCOON_TRY(parseKeys(v, path, true, r));
  } else if (type == "sigstoreSigned") {
    r.kind = RequirementKind::kSigstoreSigned;
    for (std::string_view unsupported :
         {"fulcio", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
          "rekorPublicKeyDatas", "pki", "keyPaths", "keyDatas"}) {
      if (v.contains(unsupported)) {
        return fail(Code::kUnimplemented,
                    "{}: \"{}\" is not supported (sigstoreSigned takes keyPath or keyData)", path,
                    unsupported);
      }
    }
    COCOON_TRY(onlyFields(v, path, {"type", "keyPath", "keyData", "signedIdentity"}));
    COCOON_TRY(parseKeys(v, path, false, r));
  } else {
    return fail(Code::kInvalidArgument, "{}: unknown requirement type \"{}\"", member(path, "type"),
                type);
  }
  if (auto it = v.find("signedIdentity"); it != v.end()) {
    COCOON_ASSIGN_OR_RETURN(r.signed_identity, parseIdentity(*it, member(path, "signedIdentity")));
  }
  return r;
}

Result<Requirements> parseRequirements(const Json& v, const std::string& path) {
  if (!v.is_array() || v.empty()) {
    return fail(Code::kInvalidArgument, "{}: expected a non-empty array of requirements, found {}",
                path, v.is_array() ? "an empty array" : typeName(v));
  }
  Requirements out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(Requirement r, parseRequirement(v[i], fmt::format("{}[{}]", path, i)));
    out.push_back(std::move(r));
  }
  return out;
}

std::string keySource(const Requirement& r) {
  if (!r.key_paths.empty()) {
    std::string paths;
    for (const auto& p : r.key_paths) {
      paths += (paths.empty() ? "" : ", ") + p.string();
    }
    return fmt::format("{} {}", r.key_paths.size() == 1 ? "keyPath" : "keyPaths", paths);
  }
  return fmt::format("keyData of {} bytes", r.key_data.size());
}

}  // namespace

std::string Requirement::describe() const {
  switch (kind) {
    case RequirementKind::kInsecureAcceptAnything:
      return "insecureAcceptAnything";
    case RequirementKind::kReject:
      return "reject";
    case RequirementKind::kSignedBy:
      return fmt::format("signedBy (GPGKeys, {})", keySource(*this));
    case RequirementKind::kSigstoreSigned:
      return fmt::format("sigstoreSigned ({})", keySource(*this));
  }
  return "unknown";
}

Result<Policy> parsePolicy(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) {
    return fail(Code::kResourceExhausted, "policy of {} bytes is over the {} byte cap", text.size(),
                kMaxPolicyBytes);
  }
  COCOON_ASSIGN_OR_RETURN(Json doc,
                          json::parseJson(text, {.max_bytes = kMaxPolicyBytes, .max_depth = 16}));
  COCOON_TRY(requireObject(doc, "policy"));
  COCOON_TRY(onlyFields(doc, "policy", {"default", "transports"}));
  Policy policy;
  auto def = doc.find("default");
  if (def == doc.end()) {
    return fail(Code::kInvalidArgument, "policy.default: missing (it is required)");
  }
  COCOON_ASSIGN_OR_RETURN(policy.default_requirements, parseRequirements(*def, "default"));
  if (auto transports = doc.find("transports"); transports != doc.end()) {
    COCOON_TRY(requireObject(*transports, "transports"));
    for (const auto& [name, scopes] : transports->items()) {
      const std::string tpath = member("transports", name);
      COCOON_TRY(requireObject(scopes, tpath));
      auto& section = policy.transports[name];
      for (const auto& [scope, reqs] : scopes.items()) {
        const std::string spath = quoted(tpath, scope);
        if (name == kDockerTransport && !scope.empty()) {
          COCOON_TRY(validateDockerScope(scope, spath));
        }
        if (name == kOciTransport && !scope.empty() && !scope.starts_with("/")) {
          return fail(Code::kInvalidArgument, "{}: an oci scope is an absolute path", spath);
        }
        COCOON_ASSIGN_OR_RETURN(section[scope], parseRequirements(reqs, spath));
      }
    }
  }
  return policy;
}

Result<Policy> loadPolicy(const std::filesystem::path& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, kMaxPolicyBytes));
  return withContext(parsePolicy(text), "policy " + path.string());
}

std::vector<std::string> dockerScopes(const oci::Reference& ref) {
  std::vector<std::string> out;
  std::string name = ref.name();
  out.push_back(ref.digest ? name + "@" + ref.digest->toString()
                           : name + ":" + ref.tag.value_or(std::string(oci::kDefaultTag)));
  while (true) {
    out.push_back(name);
    std::size_t slash = name.rfind('/');
    if (slash == std::string::npos) {
      break;
    }
    name.resize(slash);
  }
  // Wildcards come from the host without its port (containers-policy.json(5)).
  std::string host = ref.registry.substr(0, ref.registry.find(':'));
  if (host.starts_with("[")) {
    return out;
  }
  for (std::size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.')) {
    host.erase(0, dot + 1);
    out.push_back("*." + host);
  }
  return out;
}

std::vector<std::string> ociLayoutScopes(const std::filesystem::path& dir, std::string_view tag) {
  std::filesystem::path abs = std::filesystem::absolute(dir).lexically_normal();
  std::string text = abs.string();
  while (text.size() > 1 && text.back() == '/') {
    text.pop_back();
  }
  std::vector<std::string> out{text + ":" + std::string(tag)};
  while (true) {
    out.push_back(text);
    std::size_t slash = text.rfind('/');
    if (slash == std::string::npos || text == "/") {
      break;
    }
    text = slash == 0 ? "/" : text.substr(0, slash);
  }
  return out;
}

ScopeMatch findRequirements(const Policy& policy, std::string_view transport,
                            const std::vector<std::string>& scopes) {
  auto section = policy.transports.find(transport);
  if (section != policy.transports.end()) {
    for (const auto& scope : scopes) {
      if (auto it = section->second.find(scope); it != section->second.end()) {
        return {&it->second, quoted(member("transports", transport), scope)};
      }
    }
    if (auto it = section->second.find(""); it != section->second.end()) {
      return {&it->second, quoted(member("transports", transport), "")};
    }
  }
  return {&policy.default_requirements, "default"};
}

}  // namespace cocoon::image::trust
