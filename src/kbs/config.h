// SPDX-License-Identifier: Apache-2.0
// KbsConfig: everything cocoon-kbs needs to start, from kbs.toml and/or flags.
//
// Trust: the config file is the operator's, but it is still checked strictly (unknown
// keys, types, ranges) so a typo fails at start instead of silently weakening the service.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace cocoon::kbs {

struct KbsTlsConfig {
  std::filesystem::path cert;  // PEM certificate chain; empty: plain HTTP
  std::filesystem::path key;   // PEM private key
};

struct KbsLimits {
  // 4 MiB: the largest Attestation the protocol parser takes (kbs_protocol's
  // kMaxAttestationBytes). CoCo TDX guests send the whole CCEL table, 1 MiB raw on real
  // hosts, so 1.33 MiB once base64-encoded.
  std::uint64_t max_body_bytes = 4 * 1024 * 1024;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::int64_t request_timeout_seconds = 10;
  std::uint64_t max_connections = 1024;
  std::uint64_t max_sessions = 100000;  // live (unexpired) sessions in the store
  std::uint64_t max_resource_bytes = 1024 * 1024;
};

struct KbsAttestationConfig {
  std::int64_t session_ttl_seconds = 300;  // a challenge must be answered within this
  std::int64_t token_ttl_seconds = 300;    // EAR token lifetime (trustee's default)
  // PEM P-256 private key that signs tokens. Empty: <data_dir>/token-signing-key.pem,
  // generated on first start. Replicas behind one load balancer must share this file.
  std::filesystem::path token_signing_key;
  // Attestation policy file (docs/policy.md); empty: the built-in default policy.
  std::filesystem::path attestation_policy;
  // Resource policy file; empty: built-in default (allow unless the evidence is sample).
  std::filesystem::path resource_policy;
};

struct KbsTpmConfig {
  std::vector<std::filesystem::path> trusted_ak_keys;   // PEM public keys of accepted AKs
  std::vector<std::filesystem::path> trusted_ca_certs;  // CAs that may certify AKs
};

// AMD SEV-SNP: where VCEKs come from when the evidence carries none (docs/evidence.md).
struct KbsSnpConfig {
  std::filesystem::path vcek_cache_dir;  // vcek/<hwid>/...; empty: no cache
  bool fetch_from_kds = false;           // ask AMD KDS for missing VCEKs (network)
  std::string kds_url = "https://kdsintf.amd.com";
  bool allow_debug = false;  // accept guests whose policy allows debugging
};

// Intel TDX: where TCB collateral comes from (docs/evidence-tdx.md).
struct KbsTdxConfig {
  std::filesystem::path collateral_dir;  // TCB info, QE identity, CRLs; empty: none
  std::string pcs_url;                   // Intel PCS or a PCCS; empty: offline
  bool require_collateral = false;       // refuse quotes whose TCB status is unknown
  bool allow_debug = false;              // accept TDs with the DEBUG attribute
};

struct KbsConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 lets the kernel choose
  std::filesystem::path data_dir = "/var/lib/cocoon-kbs";
  // "sqlite:///path/kbs.db" or "postgres://..."; empty: sqlite at <data_dir>/kbs.db.
  std::string store;
  std::filesystem::path admin_public_key;  // PEM Ed25519 public key (required)
  bool allow_sample = false;               // development only
  std::int64_t threads = 0;                // 0: one per CPU
  KbsTlsConfig tls;
  KbsLimits limits;
  KbsAttestationConfig attestation;
  KbsTpmConfig tpm;
  KbsSnpConfig snp;
  KbsTdxConfig tdx;
};

// Parses kbs.toml text. Relative paths in the file are resolved against `base_dir` (the
// file's directory). Errors: kInvalidArgument naming the key, its location and what was
// expected (unknown keys included); those of parseToml.
Result<KbsConfig> parseKbsConfig(std::string_view text, std::string_view source_name,
                                 const std::filesystem::path& base_dir);

// Reads and parses a kbs.toml file. Errors: those of readTomlFile and parseKbsConfig.
Result<KbsConfig> readKbsConfig(const std::filesystem::path& path);

// Checks a complete config (after flags were applied): an admin key is set, TLS has both
// halves or neither, listen is host:port. Errors: kInvalidArgument saying what is missing.
Status validateKbsConfig(const KbsConfig& config);

// The store URL the config selects (the default sqlite file when `store` is empty).
std::string storeUrl(const KbsConfig& config);

}  // namespace cocoon::kbs
