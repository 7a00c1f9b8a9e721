// SPDX-License-Identifier: Apache-2.0
// cocoon-kbs: the key broker and attestation service workload owners run. Parses the
// config file and flags (flags win), starts a KbsDaemon and runs until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/log.h"
#include "kbs/daemon.h"

namespace {

int failWith(const cocoon::Error& error) {
  std::fprintf(stderr, "cocoon-kbs: %s\n", error.toString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "cocoon-kbs — key broker and attestation service for workload owners.\n"
        "Speaks the KBS attestation protocol 0.4 (RCAR) of the confidential-containers "
        "project;\nsee docs/kbs.md. Flags override values from --config."};
    app.set_version_flag("--version", std::string("cocoon-kbs ") + COCOON_VERSION);
    std::string config_path;
    std::optional<std::string> listen, data_dir, admin_pubkey, tls_cert, tls_key, store;
    std::optional<std::string> log_level, log_format;
    bool allow_sample = false;
    app.add_option("--config", config_path, "kbs.toml (docs/kbs.md lists every key)");
    app.add_option("--listen", listen, "host:port to listen on (default 127.0.0.1:8080)");
    app.add_option("--data-dir", data_dir,
                   "state directory: SQLite store, token signing key (default "
                   "/var/lib/cocoon-kbs)");
    app.add_option("--store", store,
                   "store URL: sqlite:///path/kbs.db or postgres://... (default: SQLite in the "
                   "data directory)");
    app.add_option("--admin-pubkey", admin_pubkey,
                   "Ed25519 public key (PEM) that signs admin JWTs (required)");
    app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS");
    app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
    app.add_flag("--allow-sample", allow_sample,
                 "DEVELOPMENT ONLY: accept sample evidence and release resources to it");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
    app.add_option("--log-format", log_format, "text or json");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 2;
    }
    auto log_options = cocoon::resolveLogOptions(log_level, log_format);
    if (!log_options) {
      return failWith(log_options.error());
    }
    if (auto logging = cocoon::initLogging(*log_options); !logging) {
      return failWith(logging.error());
    }

    cocoon::kbs::KbsConfig config;
    if (!config_path.empty()) {
      auto parsed = cocoon::kbs::readKbsConfig(config_path);
      if (!parsed) {
        return failWith(parsed.error());
      }
      config = std::move(*parsed);
    }
    if (listen) config.listen = *listen;
    if (data_dir) config.data_dir = *data_dir;
    if (store) config.store = *store;
    if (admin_pubkey) config.admin_public_key = *admin_pubkey;
    if (tls_cert) config.tls.cert = *tls_cert;
    if (tls_key) config.tls.key = *tls_key;
    if (allow_sample) config.allow_sample = true;

    // Block the stop signals before any thread starts, then wait for one.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    auto daemon =
        cocoon::kbs::KbsDaemon::start(config, std::string("cocoon-kbs ") + COCOON_VERSION);
    if (!daemon) {
      return failWith(daemon.error());
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    COCOON_LOG(kInfo, "kbs", "signal {}: stopping", sig);
    (*daemon)->stop();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon-kbs: internal error: %s\n", e.what());
    return 70;
  }
}
