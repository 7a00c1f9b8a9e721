// SPDX-License-Identifier: Apache-2.0
// containers-registries.d parsing on yaml-cpp (exceptions caught here) and the scope
// lookups of containers/image's docker/registries_d.go.
#include "image/trust/registries_d.h"

#include <algorithm>
#include <exception>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/files.h"
#include "image/trust/policy.h"

namespace cocoon::image::trust {
namespace {

std::string_view nodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

Result<std::string> scalar(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) {
    return fail(Code::kInvalidArgument, "{}: expected a string, found {}", where, nodeKind(n));
  }
  return n.Scalar();
}

Result<RegistryNamespace> parseNamespace(const YAML::Node& n, const std::string& where) {
  RegistryNamespace ns;
  if (n.IsNull()) {
    return ns;
  }
  if (!n.IsMap()) {
    return fail(Code::kInvalidArgument, "{}: expected a map, found {}", where, nodeKind(n));
  }
  std::string sigstore;
  std::string sigstore_staging;
  for (const auto& kv : n) {
    COCOON_ASSIGN_OR_RETURN(std::string key, scalar(kv.first, where + " key"));
    const std::string at = where + "." + key;
    if (key == "lookaside") {
      COCOON_ASSIGN_OR_RETURN(ns.lookaside, scalar(kv.second, at));
    } else if (key == "lookaside-staging") {
      COCOON_ASSIGN_OR_RETURN(ns.lookaside_staging, scalar(kv.second, at));
    } else if (key == "sigstore") {
      COCOON_ASSIGN_OR_RETURN(sigstore, scalar(kv.second, at));
    } else if (key == "sigstore-staging") {
      COCOON_ASSIGN_OR_RETURN(sigstore_staging, scalar(kv.second, at));
    } else if (key == "use-sigstore-attachments") {
      bool value = false;
      if (!kv.second.IsScalar() || !YAML::convert<bool>::decode(kv.second, value)) {
        return fail(Code::kInvalidArgument, "{}: expected true or false", at);
      }
      ns.use_sigstore_attachments = value;
    } else {
      return fail(Code::kInvalidArgument, "{}: unknown key \"{}\"", where, key);
    }
  }
  // The old names are aliases; giving both is ambiguous (containers/image refuses it too).
  if (!sigstore.empty()) {
    if (!ns.lookaside.empty()) {
      return fail(Code::kInvalidArgument, "{}: both lookaside and sigstore are set", where);
    }
    ns.lookaside = sigstore;
  }
  if (!sigstore_staging.empty()) {
    if (!ns.lookaside_staging.empty()) {
      return fail(Code::kInvalidArgument, "{}: both lookaside-staging and sigstore-staging are set",
                  where);
    }
    ns.lookaside_staging = sigstore_staging;
  }
  return ns;
}

Status parseDocument(const YAML::Node& root, const std::string& source, RegistriesD& into) {
  if (root.IsNull()) {
    return okStatus();
  }
  if (!root.IsMap()) {
    return fail(Code::kInvalidArgument, "{}: expected a map at the top, found {}", source,
                nodeKind(root));
  }
  for (const auto& kv : root) {
    COCOON_ASSIGN_OR_RETURN(std::string key, scalar(kv.first, source + " key"));
    if (key == "default-docker") {
      if (into.default_docker) {
        return fail(Code::kInvalidArgument, "{}: default-docker is defined more than once", source);
      }
      COCOON_ASSIGN_OR_RETURN(into.default_docker,
                              parseNamespace(kv.second, source + ": default-docker"));
    } else if (key == "docker") {
      if (kv.second.IsNull()) {
        continue;
      }
      if (!kv.second.IsMap()) {
        return fail(Code::kInvalidArgument, "{}: docker: expected a map, found {}", source,
                    nodeKind(kv.second));
      }
      for (const auto& scope_kv : kv.second) {
        COCOON_ASSIGN_OR_RETURN(std::string scope, scalar(scope_kv.first, source + ": docker key"));
        const std::string where = source + ": docker." + scope;
        if (into.docker.contains(scope)) {
          return fail(Code::kInvalidArgument, "{}: scope defined more than once", where);
        }
        COCOON_ASSIGN_OR_RETURN(into.docker[scope], parseNamespace(scope_kv.second, where));
      }
    } else {
      return fail(Code::kInvalidArgument, "{}: unknown key \"{}\"", source, key);
    }
  }
  return okStatus();
}

// The scopes' settings for `ref`, most specific first, then default-docker.
std::vector<const RegistryNamespace*> candidates(const RegistriesD& config,
                                                 const oci::Reference& ref) {
  std::vector<const RegistryNamespace*> out;
  for (const auto& scope : dockerScopes(ref)) {
    if (auto it = config.docker.find(scope); it != config.docker.end()) {
      out.push_back(&it->second);
    }
  }
  if (config.default_docker) {
    out.push_back(&*config.default_docker);
  }
  return out;
}

}  // namespace

Status parseRegistriesDYaml(std::string_view text, std::string_view source, RegistriesD& into) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const std::exception& e) {
    return fail(Code::kInvalidArgument, "{}: malformed YAML: {}", source, e.what());
  }
  // Work on a copy so a failing document leaves `into` as it was.
  RegistriesD next = into;
  try {
    COCOON_TRY(parseDocument(root, std::string(source), next));
  } catch (const std::exception& e) {
    return fail(Code::kInvalidArgument, "{}: {}", source, e.what());
  }
  into = std::move(next);
  return okStatus();
}

Result<RegistriesD> loadRegistriesD(const std::filesystem::path& dir) {
  RegistriesD out;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return out;
  }
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) {
      files.push_back(it->path());
      if (files.size() > kMaxRegistriesDFiles) {
        return fail(Code::kResourceExhausted, "{}: more than {} yaml files", dir.string(),
                    kMaxRegistriesDFiles);
      }
    }
  }
  if (ec) {
    return fail(Code::kInternal, "reading directory {}: {}", dir.string(), ec.message());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(file, kMaxRegistriesDFileBytes));
    COCOON_TRY(parseRegistriesDYaml(text, file.string(), out));
  }
  return out;
}

std::string lookasideFor(const RegistriesD& config, const oci::Reference& ref, bool write) {
  for (const RegistryNamespace* ns : candidates(config, ref)) {
    if (write && !ns->lookaside_staging.empty()) {
      return ns->lookaside_staging;
    }
    if (!ns->lookaside.empty()) {
      return ns->lookaside;
    }
  }
  return std::string(kDefaultLookaside);
}

bool useSigstoreAttachments(const RegistriesD& config, const oci::Reference& ref) {
  for (const RegistryNamespace* ns : candidates(config, ref)) {
    if (ns->use_sigstore_attachments) {
      return *ns->use_sigstore_attachments;
    }
  }
  return false;
}

}  // namespace cocoon::image::trust
