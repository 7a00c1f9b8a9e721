// SPDX-License-Identifier: Apache-2.0
// registries.conf v2 parsing, drop-in merging, and endpoint resolution after
// containers-registries.conf(5).
#include "image/oci/registries_conf.h"

#include <algorithm>
#include <system_error>

#include "common/files.h"
#include "common/toml.h"
#include "image/oci/internal/name_grammar.h"

namespace cocoon::image::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxConfBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxDropIns = 256;

// "path:line:column: " of a node, as common/toml.h errors print it.
std::string at(const toml::node& node) {
  const toml::source_region& s = node.source();
  if (!s.path || s.begin.line == 0) {
    return {};
  }
  return fmt::format("{}:{}:{}: ", *s.path, s.begin.line, s.begin.column);
}

// A location or non-wildcard prefix: host[:port][/path], no scheme, trailing '/' dropped.
Result<std::string> parseLocation(const toml::node& node, std::string_view key, std::string text) {
  if (text.find("://") != std::string::npos) {
    return fail(Code::kInvalidArgument, "{}{} {:?}: URI schemes are not supported", at(node), key,
                text);
  }
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  const std::size_t slash = text.find('/');
  Status ok = internal::validateRegistry(std::string_view(text).substr(0, slash));
  if (ok && slash != std::string::npos) {
    ok = internal::validatePath(std::string_view(text).substr(slash + 1));
  }
  if (!ok) {
    return fail(Code::kInvalidArgument, "{}{} {:?}: {}", at(node), key, text, ok.error().message);
  }
  return text;
}

Result<std::string> parsePrefix(const toml::node& node, std::string text) {
  if (text.starts_with("*.")) {
    if (!internal::isHostName(std::string_view(text).substr(2))) {
      return fail(Code::kInvalidArgument,
                  "{}prefix {:?}: a wildcard prefix must be \"*.\" followed by a host name",
                  at(node), text);
    }
    return text;
  }
  if (text.find('*') != std::string::npos) {
    return fail(Code::kInvalidArgument, "{}prefix {:?}: '*' is only allowed as a leading \"*.\"",
                at(node), text);
  }
  return parseLocation(node, "prefix", std::move(text));
}

Result<PullFromMirror> parsePullFromMirror(const toml::node& node, std::string_view value) {
  if (value.empty() || value == "all") {
    return PullFromMirror::kAll;
  }
  if (value == "digest-only") {
    return PullFromMirror::kDigestOnly;
  }
  if (value == "tag-only") {
    return PullFromMirror::kTagOnly;
  }
  return fail(Code::kInvalidArgument,
              "{}pull-from-mirror {:?}: expected \"all\", \"digest-only\" or \"tag-only\"",
              at(node), value);
}

Result<RegistryMirror> parseMirror(const toml::table& t, bool registry_digest_only) {
  COCOON_TRY(
      rejectUnknownKeys(t, {"location", "insecure", "pull-from-mirror"}, "[[registry.mirror]]"));
  RegistryMirror m;
  COCOON_ASSIGN_OR_RETURN(std::string location, getString(t, "location", ""));
  if (location.empty()) {
    return fail(Code::kInvalidArgument, "{}[[registry.mirror]] has no location", at(t));
  }
  COCOON_ASSIGN_OR_RETURN(m.location, parseLocation(t, "mirror location", std::move(location)));
  COCOON_ASSIGN_OR_RETURN(m.insecure, getBool(t, "insecure", false));
  COCOON_ASSIGN_OR_RETURN(const std::string pull, getString(t, "pull-from-mirror", ""));
  COCOON_ASSIGN_OR_RETURN(m.pull_from_mirror, parsePullFromMirror(t, pull));
  if (registry_digest_only && !pull.empty()) {
    return fail(Code::kInvalidArgument,
                "{}pull-from-mirror is not allowed with the registry's mirror-by-digest-only",
                at(t));
  }
  return m;
}

// The tables of the array at `key` ([[key]]), or an error when it is something else.
Result<std::vector<const toml::table*>> tableArray(const toml::table& t, std::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    return out;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return fail(Code::kInvalidArgument, "{}{} must be an array of tables ([[{}]])", at(*node), key,
                key);
  }
  for (const toml::node& item : *array) {
    if (!item.is_table()) {
      return fail(Code::kInvalidArgument, "{}{} must be an array of tables ([[{}]])", at(item), key,
                  key);
    }
    out.push_back(item.as_table());
  }
  return out;
}

Result<RegistryEntry> parseRegistry(const toml::table& t) {
  COCOON_TRY(rejectUnknownKeys(
      t, {"prefix", "location", "insecure", "blocked", "mirror-by-digest-only", "mirror"},
      "[[registry]]"));
  RegistryEntry r;
  COCOON_ASSIGN_OR_RETURN(std::string prefix, getString(t, "prefix", ""));
  COCOON_ASSIGN_OR_RETURN(std::string location, getString(t, "location", ""));
  if (prefix.empty() && location.empty()) {
    return fail(Code::kInvalidArgument, "{}[[registry]] has neither prefix nor location", at(t));
  }
  if (!location.empty()) {
    COCOON_ASSIGN_OR_RETURN(r.location, parseLocation(t, "location", std::move(location)));
  }
  if (prefix.empty()) {
    r.prefix = r.location;
  } else {
    COCOON_ASSIGN_OR_RETURN(r.prefix, parsePrefix(t, std::move(prefix)));
  }
  if (r.location.empty() && !r.prefix.starts_with("*.")) {
    r.location = r.prefix;
  }
  COCOON_ASSIGN_OR_RETURN(r.insecure, getBool(t, "insecure", false));
  COCOON_ASSIGN_OR_RETURN(r.blocked, getBool(t, "blocked", false));
  COCOON_ASSIGN_OR_RETURN(r.mirror_by_digest_only, getBool(t, "mirror-by-digest-only", false));
  COCOON_ASSIGN_OR_RETURN(std::vector<const toml::table*> mirrors, tableArray(t, "mirror"));
  for (const toml::table* m : mirrors) {
    COCOON_ASSIGN_OR_RETURN(RegistryMirror mirror, parseMirror(*m, r.mirror_by_digest_only));
    r.mirrors.push_back(std::move(mirror));
  }
  return r;
}

Result<ShortNameMode> parseShortNameMode(const toml::table& root) {
  COCOON_ASSIGN_OR_RETURN(const std::string mode, getString(root, "short-name-mode", ""));
  if (mode.empty()) {
    return ShortNameMode::kUnset;
  }
  if (mode == "disabled") {
    return ShortNameMode::kDisabled;
  }
  if (mode == "permissive") {
    return ShortNameMode::kPermissive;
  }
  if (mode == "enforcing") {
    return ShortNameMode::kEnforcing;
  }
  return fail(Code::kInvalidArgument,
              "{}short-name-mode {:?}: expected \"enforcing\", \"permissive\" or \"disabled\"",
              at(*root.get("short-name-mode")), mode);
}

Result<std::map<std::string, std::string>> parseAliases(const toml::table& root) {
  std::map<std::string, std::string> out;
  COCOON_ASSIGN_OR_RETURN(const toml::table* aliases, getTable(root, "aliases"));
  if (aliases == nullptr) {
    return out;
  }
  for (const auto& [key, node] : *aliases) {
    COCOON_ASSIGN_OR_RETURN(std::string value, getString(*aliases, key.str(), ""));
    out.emplace(std::string(key.str()), std::move(value));
  }
  return out;
}

void merge(RegistriesConf& into, RegistriesConf from) {
  if (from.unqualified_search_registries) {
    into.unqualified_search_registries = std::move(from.unqualified_search_registries);
  }
  if (from.short_name_mode != ShortNameMode::kUnset) {
    into.short_name_mode = from.short_name_mode;
  }
  if (!from.credential_helpers.empty()) {
    into.credential_helpers = std::move(from.credential_helpers);
  }
  for (RegistryEntry& r : from.registries) {
    auto same = std::find_if(into.registries.begin(), into.registries.end(),
                             [&](const RegistryEntry& e) { return e.prefix == r.prefix; });
    if (same != into.registries.end()) {
      *same = std::move(r);
    } else {
      into.registries.push_back(std::move(r));
    }
  }
  for (auto& [name, value] : from.aliases) {
    into.aliases[name] = std::move(value);
  }
}

// Length of `prefix` matched by `ref` (0 for no match), after containers/image's
// refMatchingPrefix: the whole name, or the name continuing with '/'.
std::size_t matchLength(const RegistryEntry& entry, const Reference& ref) {
  if (entry.prefix.starts_with("*.")) {
    const std::string_view host = std::string_view(ref.registry).substr(0, ref.registry.find(':'));
    const std::string_view domain = std::string_view(entry.prefix).substr(1);
    return host.ends_with(domain) ? ref.registry.size() : 0;
  }
  const std::string name = ref.name();
  if (name == entry.prefix ||
      (name.starts_with(entry.prefix) && name[entry.prefix.size()] == '/')) {
    return entry.prefix.size();
  }
  return 0;
}

// location + the part of ref's name after the matched prefix, split into host and path.
Result<Endpoint> rewrite(std::string_view location, const Reference& ref, std::size_t matched,
                         bool insecure, bool mirror) {
  const std::string name = std::string(location) + ref.name().substr(matched);
  const std::size_t slash = name.find('/');
  Endpoint e;
  e.host = name.substr(0, slash);
  e.repository = slash == std::string::npos ? std::string() : name.substr(slash + 1);
  COCOON_TRY(withContext(internal::validatePath(e.repository),
                         fmt::format("{} rewritten to {}", ref.name(), name)));
  if (e.host == kDockerHubRegistry) {
    e.host = std::string(kDockerHubHost);
  }
  e.insecure = insecure;
  e.mirror = mirror;
  return e;
}

}  // namespace

Result<RegistriesConf> parseRegistriesConf(std::string_view text, std::string_view source_name) {
  COCOON_ASSIGN_OR_RETURN(const toml::table root, parseToml(text, source_name, kMaxConfBytes));
  if (const toml::node* v1 = root.get("registries"); v1 != nullptr) {
    return fail(Code::kInvalidArgument,
                "{}registries.conf version 1 ([registries.search] ...) is not supported: use "
                "version 2 (unqualified-search-registries, [[registry]])",
                at(*v1));
  }
  COCOON_TRY(
      rejectUnknownKeys(root,
                        {"unqualified-search-registries", "short-name-mode", "registry", "aliases",
                         "credential-helpers", "additional-layer-store-auth-helper"},
                        "registries.conf"));
  RegistriesConf conf;
  if (root.contains("unqualified-search-registries")) {
    COCOON_ASSIGN_OR_RETURN(std::vector<std::string> list,
                            getStringArray(root, "unqualified-search-registries"));
    for (const std::string& registry : list) {
      COCOON_TRY(withContext(internal::validateRegistry(registry),
                             fmt::format("{}unqualified-search-registries",
                                         at(*root.get("unqualified-search-registries")))));
    }
    conf.unqualified_search_registries = std::move(list);
  }
  COCOON_ASSIGN_OR_RETURN(conf.short_name_mode, parseShortNameMode(root));
  COCOON_ASSIGN_OR_RETURN(conf.credential_helpers, getStringArray(root, "credential-helpers"));
  COCOON_ASSIGN_OR_RETURN(std::vector<const toml::table*> tables, tableArray(root, "registry"));
  for (const toml::table* t : tables) {
    COCOON_ASSIGN_OR_RETURN(RegistryEntry r, parseRegistry(*t));
    for (const RegistryEntry& other : conf.registries) {
      if (other.prefix == r.prefix) {
        return fail(Code::kInvalidArgument, "{}[[registry]] prefix {:?} is defined twice", at(*t),
                    r.prefix);
      }
    }
    conf.registries.push_back(std::move(r));
  }
  COCOON_ASSIGN_OR_RETURN(conf.aliases, parseAliases(root));
  return conf;
}

fs::path registriesConfPath(const EnvLookup& env) {
  std::optional<std::string> path = env("CONTAINERS_REGISTRIES_CONF");
  if (path && !path->empty()) {
    return *path;
  }
  return fs::path(kDefaultRegistriesConfPath);
}

Result<RegistriesConf> loadRegistriesConf(const fs::path& path) {
  RegistriesConf conf;
  Result<std::string> text = readTextFile(path, kMaxConfBytes);
  if (text) {
    COCOON_ASSIGN_OR_RETURN(conf, parseRegistriesConf(*text, path.string()));
  } else if (text.error().code != Code::kNotFound) {
    return fail(std::move(text).error());
  }
  std::error_code ec;
  std::vector<fs::path> drop_ins;
  for (fs::directory_iterator it(fs::path(path.string() + ".d"), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".conf" && drop_ins.size() < kMaxDropIns) {
      drop_ins.push_back(it->path());
    }
  }
  std::sort(drop_ins.begin(), drop_ins.end());
  for (const fs::path& file : drop_ins) {
    COCOON_ASSIGN_OR_RETURN(const std::string drop_in, readTextFile(file, kMaxConfBytes));
    COCOON_ASSIGN_OR_RETURN(RegistriesConf more, parseRegistriesConf(drop_in, file.string()));
    merge(conf, std::move(more));
  }
  std::erase_if(conf.aliases, [](const auto& alias) { return alias.second.empty(); });
  return conf;
}

Result<std::vector<Endpoint>> resolve(const RegistriesConf& conf, const Reference& ref) {
  const RegistryEntry* best = nullptr;
  std::size_t best_length = 0;
  for (const RegistryEntry& entry : conf.registries) {
    const std::size_t length = matchLength(entry, ref);
    if (length > best_length) {
      best = &entry;
      best_length = length;
    }
  }
  std::vector<Endpoint> out;
  if (best == nullptr) {
    COCOON_ASSIGN_OR_RETURN(Endpoint e,
                            rewrite(ref.registry, ref, ref.registry.size(), false, false));
    out.push_back(std::move(e));
    return out;
  }
  if (best->blocked) {
    return fail(Code::kPermissionDenied, "{} is blocked by registries.conf prefix {:?}", ref.name(),
                best->prefix);
  }
  const bool by_digest = ref.digest.has_value();
  for (const RegistryMirror& m : best->mirrors) {
    const bool digest_only =
        best->mirror_by_digest_only || m.pull_from_mirror == PullFromMirror::kDigestOnly;
    if ((digest_only && !by_digest) ||
        (m.pull_from_mirror == PullFromMirror::kTagOnly && by_digest)) {
      continue;
    }
    COCOON_ASSIGN_OR_RETURN(Endpoint e, rewrite(m.location, ref, best_length, m.insecure, true));
    out.push_back(std::move(e));
  }
  const std::string_view primary =
      best->location.empty() ? std::string_view(ref.registry) : std::string_view(best->location);
  COCOON_ASSIGN_OR_RETURN(Endpoint e, rewrite(primary, ref, best_length, best->insecure, false));
  out.push_back(std::move(e));
  return out;
}

Result<std::vector<Reference>> shortNameCandidates(const RegistriesConf& conf,
                                                   const Reference& ref) {
  std::vector<Reference> out;
  if (!ref.is_short_name) {
    out.push_back(ref);
    return out;
  }
  if (auto alias = conf.aliases.find(ref.short_path);
      alias != conf.aliases.end() && !alias->second.empty()) {
    COCOON_ASSIGN_OR_RETURN(Reference target,
                            withContext(parseReference(alias->second), "alias " + ref.short_path));
    target.tag = ref.tag;
    target.digest = ref.digest;
    out.push_back(std::move(target));
    return out;
  }
  if (!conf.unqualified_search_registries) {
    out.push_back(ref);
    return out;
  }
  for (const std::string& registry : *conf.unqualified_search_registries) {
    COCOON_ASSIGN_OR_RETURN(Reference candidate, qualifyShortName(ref, registry));
    out.push_back(std::move(candidate));
  }
  if (out.empty()) {
    return fail(Code::kFailedPrecondition,
                "short name {:?} matches no alias and unqualified-search-registries is empty",
                ref.short_path);
  }
  return out;
}

}  // namespace cocoon::image::oci
