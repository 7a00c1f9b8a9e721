// SPDX-License-Identifier: Apache-2.0
// Wiring of a cocoon-kbs process.
#include "kbs/daemon.h"

#include <sys/stat.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/files.h"
#include "common/log.h"
#include "http/curl_client.h"
#include "http/server/server.h"
#include "kbs/memory_sessions.h"
#include "kbs/service.h"
#include "verify/builtin.h"

namespace cocoon::kbs {
namespace {

constexpr std::string_view kTokenKeyFile = "token-signing-key.pem";
constexpr auto kSweepEvery = std::chrono::seconds(60);

Result<crypto::Key> loadOrCreateTokenKey(const KbsConfig& config) {
  std::filesystem::path path = config.attestation.token_signing_key;
  bool generated_path = path.empty();
  if (generated_path) {
    path = config.data_dir / std::string(kTokenKeyFile);
  }
  auto pem = readTextFile(path, 64 * 1024);
  if (pem) {
    return withContext(crypto::Key::fromPem(*pem), "token signing key " + path.string());
  }
  if (pem.error().code != Code::kNotFound || !generated_path) {
    return fail(pem.error().addContext("token signing key"));
  }
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, crypto::Key::generate(crypto::KeyType::kEcP256));
  COCOON_ASSIGN_OR_RETURN(std::string private_pem, key.privatePem());
  COCOON_TRY(writeFileAtomic(path, asBytes(private_pem), 0600));
  COCOON_LOG(kInfo, "kbs", "generated the token signing key {}", path.string());
  return key;
}

Result<verify::TpmTrustConfig> tpmTrust(const KbsTpmConfig& tpm) {
  verify::TpmTrustConfig out;
  for (const auto& p : tpm.trusted_ak_keys) {
    COCOON_ASSIGN_OR_RETURN(std::string pem,
                            withContext(readTextFile(p, 64 * 1024), "trusted AK " + p.string()));
    COCOON_ASSIGN_OR_RETURN(crypto::Key key,
                            withContext(crypto::Key::fromPem(pem), "trusted AK " + p.string()));
    out.trusted_aks.push_back(std::move(key));
  }
  for (const auto& p : tpm.trusted_ca_certs) {
    COCOON_ASSIGN_OR_RETURN(std::string pem,
                            withContext(readTextFile(p, 1 << 20), "AK CA " + p.string()));
    COCOON_ASSIGN_OR_RETURN(crypto::Certificate cert,
                            withContext(crypto::Certificate::fromPem(pem), "AK CA " + p.string()));
    out.ak_ca_certificates.push_back(std::move(cert));
  }
  return out;
}

}  // namespace

struct KbsDaemon::Impl {
  std::unique_ptr<store::KbsStore> store;
  // For AMD KDS / Intel PCS lookups when the config allows them; declared before the
  // verifiers that borrow it, so it outlives them.
  std::unique_ptr<http::HttpClient> endorsement_http;
  verify::VerifierRegistry verifiers;
  http::server::MetricsRegistry metrics;
  std::unique_ptr<KbsService> service;
  std::unique_ptr<http::server::Server> server;
  std::thread sweeper;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;

  void sweepLoop() {
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, kSweepEvery, [this] { return stopping; })) {
      lock.unlock();
      auto swept = store->sweepExpired();
      if (!swept) {
        COCOON_LOG(kWarn, "kbs", "sweeping expired sessions failed: {}", swept.error().toString());
      }
      lock.lock();
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      if (stopping) {
        return;
      }
      stopping = true;
    }
    wake.notify_all();
    if (sweeper.joinable()) {
      sweeper.join();
    }
    if (server) {
      server->stop();
    }
  }
};

KbsDaemon::KbsDaemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KbsDaemon::~KbsDaemon() {
  stop();
}

void KbsDaemon::stop() {
  impl_->stop();
}

std::uint16_t KbsDaemon::port() const {
  return impl_->server->boundPort();
}

Result<std::unique_ptr<KbsDaemon>> KbsDaemon::start(const KbsConfig& config, std::string build) {
  COCOON_TRY(validateKbsConfig(config));
  COCOON_TRY(createDirectories(config.data_dir));
  ::chmod(config.data_dir.c_str(), 0700);
  auto impl = std::make_unique<Impl>();

  COCOON_ASSIGN_OR_RETURN(impl->store,
                          withContext(store::openStore(storeUrl(config)),
                                      "store " + store::redactStoreUrl(storeUrl(config))));
  if (!storeUrl(config).starts_with("postgres")) {
    // One process owns a SQLite store: its sessions need not reach the disk.
    impl->store = withMemorySessions(std::move(impl->store), nullptr);
  }
  COCOON_ASSIGN_OR_RETURN(AdminAuthenticator admin,
                          AdminAuthenticator::fromPemFile(config.admin_public_key));
  COCOON_ASSIGN_OR_RETURN(crypto::Key token_key, loadOrCreateTokenKey(config));
  token::EarIssuerConfig issuer;
  issuer.build = std::move(build);
  issuer.validity = std::chrono::seconds(config.attestation.token_ttl_seconds);
  COCOON_ASSIGN_OR_RETURN(token::EarSigner signer, token::EarSigner::create(token_key, issuer));

  verify::BuiltinVerifierConfig verifier_config;
  verifier_config.enable_sample = config.allow_sample;
  COCOON_ASSIGN_OR_RETURN(verifier_config.tpm, tpmTrust(config.tpm));
  if (config.snp.fetch_from_kds || !config.tdx.pcs_url.empty()) {
    COCOON_ASSIGN_OR_RETURN(impl->endorsement_http, http::makeCurlHttpClient({}));
  }
  verifier_config.snp.cache_dir = config.snp.vcek_cache_dir;
  verifier_config.snp.kds_url = config.snp.kds_url;
  verifier_config.snp.allow_debug = config.snp.allow_debug;
  if (config.snp.fetch_from_kds) {
    verifier_config.snp.kds_client = impl->endorsement_http.get();
  }
  if (!config.tdx.collateral_dir.empty()) {
    verifier_config.tdx.collateral_dir = config.tdx.collateral_dir;
  }
  if (!config.tdx.pcs_url.empty()) {
    verifier_config.tdx.pcs_client = impl->endorsement_http.get();
    verifier_config.tdx.pcs_url = config.tdx.pcs_url;
  }
  verifier_config.tdx.require_collateral = config.tdx.require_collateral;
  verifier_config.tdx.allow_debug = config.tdx.allow_debug;
  COCOON_TRY(verify::registerBuiltinVerifiers(impl->verifiers, verifier_config));
  if (config.allow_sample) {
    COCOON_LOG(kWarn, "kbs",
               "--allow-sample: sample evidence (which proves nothing) is accepted and may "
               "receive resources; never use this outside development");
  }

  KbsServiceOptions options;
  options.session_ttl = std::chrono::seconds(config.attestation.session_ttl_seconds);
  options.max_sessions = config.limits.max_sessions;
  options.max_resource_bytes = config.limits.max_resource_bytes;
  options.allow_sample = config.allow_sample;
  impl->service = std::make_unique<KbsService>(*impl->store, impl->verifiers, std::move(admin),
                                               std::move(signer), impl->metrics, options);
  http::server::Router router(kbsErrorResponse);
  COCOON_TRY(impl->service->addRoutes(router));

  http::server::ServerOptions server_options;
  server_options.listen = config.listen;
  server_options.tls_cert_path = config.tls.cert.string();
  server_options.tls_key_path = config.tls.key.string();
  if (config.threads > 0) {
    server_options.threads = static_cast<unsigned>(config.threads);
  } else {
    server_options.threads = std::max(2u, std::thread::hardware_concurrency());
  }
  server_options.max_header_bytes = config.limits.max_header_bytes;
  server_options.max_body_bytes = config.limits.max_body_bytes;
  server_options.read_timeout = std::chrono::seconds(config.limits.request_timeout_seconds);
  server_options.max_connections = config.limits.max_connections;
  impl->server =
      std::make_unique<http::server::Server>(server_options, std::move(router), impl->metrics);
  COCOON_TRY(impl->server->start());
  Impl* raw = impl.get();
  impl->sweeper = std::thread([raw] { raw->sweepLoop(); });
  COCOON_LOG(kInfo, "kbs", "listening on {}://{}:{} (store {})",
             config.tls.cert.empty() ? "http" : "https",
             config.listen.substr(0, config.listen.rfind(':')), impl->server->boundPort(),
             store::redactStoreUrl(storeUrl(config)));
  return std::unique_ptr<KbsDaemon>(new KbsDaemon(std::move(impl)));
}

}  // namespace cocoon::kbs
