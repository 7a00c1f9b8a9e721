// SPDX-License-Identifier: Apache-2.0
// kbs.toml parsing and validation.
#include "kbs/config.h"

#include "common/files.h"
#include "common/toml.h"

namespace cocoon::kbs {
namespace {

std::filesystem::path resolvePath(const std::string& value, const std::filesystem::path& base) {
  if (value.empty()) {
    return {};
  }
  std::filesystem::path p(value);
  return p.is_absolute() ? p : base / p;
}

Result<std::uint64_t> getSize(const toml::table& table, std::string_view key,
                              std::uint64_t default_value, std::int64_t max) {
  COCOON_ASSIGN_OR_RETURN(std::int64_t v,
                          getInt(table, key, static_cast<std::int64_t>(default_value), 1, max));
  return static_cast<std::uint64_t>(v);
}

Status parseLimits(const toml::table& t, KbsLimits& limits) {
  COCOON_TRY(rejectUnknownKeys(t,
                               {"max_body_bytes", "max_header_bytes", "request_timeout_seconds",
                                "max_connections", "max_sessions", "max_resource_bytes"},
                               "[limits]"));
  constexpr std::int64_t kGiB = std::int64_t{1} << 30;
  COCOON_ASSIGN_OR_RETURN(limits.max_body_bytes,
                          getSize(t, "max_body_bytes", limits.max_body_bytes, kGiB));
  COCOON_ASSIGN_OR_RETURN(limits.max_header_bytes,
                          getSize(t, "max_header_bytes", limits.max_header_bytes, 1 << 20));
  COCOON_ASSIGN_OR_RETURN(
      limits.request_timeout_seconds,
      getInt(t, "request_timeout_seconds", limits.request_timeout_seconds, 1, 3600));
  COCOON_ASSIGN_OR_RETURN(limits.max_connections,
                          getSize(t, "max_connections", limits.max_connections, 1 << 20));
  COCOON_ASSIGN_OR_RETURN(limits.max_sessions,
                          getSize(t, "max_sessions", limits.max_sessions, kGiB));
  COCOON_ASSIGN_OR_RETURN(limits.max_resource_bytes,
                          getSize(t, "max_resource_bytes", limits.max_resource_bytes, kGiB));
  return {};
}

Status parseAttestation(const toml::table& t, const std::filesystem::path& base,
                        KbsAttestationConfig& a) {
  COCOON_TRY(rejectUnknownKeys(t,
                               {"session_ttl_seconds", "token_ttl_seconds", "token_signing_key",
                                "attestation_policy", "resource_policy"},
                               "[attestation]"));
  COCOON_ASSIGN_OR_RETURN(a.session_ttl_seconds,
                          getInt(t, "session_ttl_seconds", a.session_ttl_seconds, 1, 86400));
  COCOON_ASSIGN_OR_RETURN(a.token_ttl_seconds,
                          getInt(t, "token_ttl_seconds", a.token_ttl_seconds, 1, 86400));
  COCOON_ASSIGN_OR_RETURN(std::string key, getString(t, "token_signing_key", ""));
  a.token_signing_key = resolvePath(key, base);
  COCOON_ASSIGN_OR_RETURN(std::string ap, getString(t, "attestation_policy", ""));
  a.attestation_policy = resolvePath(ap, base);
  COCOON_ASSIGN_OR_RETURN(std::string rp, getString(t, "resource_policy", ""));
  a.resource_policy = resolvePath(rp, base);
  return {};
}

Status parseTpm(const toml::table& t, const std::filesystem::path& base, KbsTpmConfig& tpm) {
  COCOON_TRY(rejectUnknownKeys(t, {"trusted_ak_keys", "trusted_ca_certs"}, "[tpm]"));
  COCOON_ASSIGN_OR_RETURN(auto aks, getStringArray(t, "trusted_ak_keys"));
  for (const auto& p : aks) {
    tpm.trusted_ak_keys.push_back(resolvePath(p, base));
  }
  COCOON_ASSIGN_OR_RETURN(auto cas, getStringArray(t, "trusted_ca_certs"));
  for (const auto& p : cas) {
    tpm.trusted_ca_certs.push_back(resolvePath(p, base));
  }
  return {};
}

Status parseSnp(const toml::table& t, const std::filesystem::path& base, KbsSnpConfig& snp) {
  COCOON_TRY(rejectUnknownKeys(t, {"vcek_cache_dir", "fetch_from_kds", "kds_url", "allow_debug"},
                               "[snp]"));
  COCOON_ASSIGN_OR_RETURN(std::string cache, getString(t, "vcek_cache_dir", ""));
  snp.vcek_cache_dir = resolvePath(cache, base);
  COCOON_ASSIGN_OR_RETURN(snp.fetch_from_kds, getBool(t, "fetch_from_kds", false));
  COCOON_ASSIGN_OR_RETURN(snp.kds_url, getString(t, "kds_url", snp.kds_url));
  COCOON_ASSIGN_OR_RETURN(snp.allow_debug, getBool(t, "allow_debug", false));
  return {};
}

Status parseTdx(const toml::table& t, const std::filesystem::path& base, KbsTdxConfig& tdx) {
  COCOON_TRY(rejectUnknownKeys(
      t, {"collateral_dir", "pcs_url", "require_collateral", "allow_debug"}, "[tdx]"));
  COCOON_ASSIGN_OR_RETURN(std::string dir, getString(t, "collateral_dir", ""));
  tdx.collateral_dir = resolvePath(dir, base);
  COCOON_ASSIGN_OR_RETURN(tdx.pcs_url, getString(t, "pcs_url", ""));
  COCOON_ASSIGN_OR_RETURN(tdx.require_collateral, getBool(t, "require_collateral", false));
  COCOON_ASSIGN_OR_RETURN(tdx.allow_debug, getBool(t, "allow_debug", false));
  return {};
}

}  // namespace

Result<KbsConfig> parseKbsConfig(std::string_view text, std::string_view source_name,
                                 const std::filesystem::path& base_dir) {
  COCOON_ASSIGN_OR_RETURN(toml::table root, parseToml(text, source_name));
  COCOON_TRY(rejectUnknownKeys(root,
                               {"listen", "data_dir", "store", "admin_public_key", "allow_sample",
                                "threads", "tls", "limits", "attestation", "tpm", "snp", "tdx"},
                               "top level"));
  KbsConfig c;
  COCOON_ASSIGN_OR_RETURN(c.listen, getString(root, "listen", c.listen));
  COCOON_ASSIGN_OR_RETURN(std::string data_dir, getString(root, "data_dir", c.data_dir.string()));
  c.data_dir = resolvePath(data_dir, base_dir);
  COCOON_ASSIGN_OR_RETURN(c.store, getString(root, "store", ""));
  COCOON_ASSIGN_OR_RETURN(std::string admin, getString(root, "admin_public_key", ""));
  c.admin_public_key = resolvePath(admin, base_dir);
  COCOON_ASSIGN_OR_RETURN(c.allow_sample, getBool(root, "allow_sample", false));
  COCOON_ASSIGN_OR_RETURN(c.threads, getInt(root, "threads", 0, 0, 1024));

  COCOON_ASSIGN_OR_RETURN(const toml::table* tls, getTable(root, "tls"));
  if (tls != nullptr) {
    COCOON_TRY(rejectUnknownKeys(*tls, {"cert", "key"}, "[tls]"));
    COCOON_ASSIGN_OR_RETURN(std::string cert, getString(*tls, "cert", ""));
    COCOON_ASSIGN_OR_RETURN(std::string key, getString(*tls, "key", ""));
    c.tls.cert = resolvePath(cert, base_dir);
    c.tls.key = resolvePath(key, base_dir);
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* limits, getTable(root, "limits"));
  if (limits != nullptr) {
    COCOON_TRY(parseLimits(*limits, c.limits));
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* att, getTable(root, "attestation"));
  if (att != nullptr) {
    COCOON_TRY(parseAttestation(*att, base_dir, c.attestation));
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* tpm, getTable(root, "tpm"));
  if (tpm != nullptr) {
    COCOON_TRY(parseTpm(*tpm, base_dir, c.tpm));
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* snp, getTable(root, "snp"));
  if (snp != nullptr) {
    COCOON_TRY(parseSnp(*snp, base_dir, c.snp));
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* tdx, getTable(root, "tdx"));
  if (tdx != nullptr) {
    COCOON_TRY(parseTdx(*tdx, base_dir, c.tdx));
  }
  return c;
}

Result<KbsConfig> readKbsConfig(const std::filesystem::path& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, std::size_t{1} << 20));
  return parseKbsConfig(text, path.string(), path.parent_path());
}

Status validateKbsConfig(const KbsConfig& config) {
  if (config.admin_public_key.empty()) {
    return fail(Code::kInvalidArgument,
                "no admin public key: set admin_public_key in the config or pass --admin-pubkey "
                "(an Ed25519 PEM public key; admin requests are JWTs signed by its private key)");
  }
  if (config.tls.cert.empty() != config.tls.key.empty()) {
    return fail(Code::kInvalidArgument, "TLS needs both a certificate and a key (got only the {})",
                config.tls.cert.empty() ? "key" : "certificate");
  }
  auto colon = config.listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == config.listen.size()) {
    return fail(Code::kInvalidArgument, "listen address '{}' is not host:port", config.listen);
  }
  if (config.store.empty() && config.data_dir.empty()) {
    return fail(Code::kInvalidArgument, "neither a store URL nor a data directory is set");
  }
  return {};
}

std::string storeUrl(const KbsConfig& config) {
  if (!config.store.empty()) {
    return config.store;
  }
  return "sqlite://" + (config.data_dir / "kbs.db").string();
}

}  // namespace cocoon::kbs
