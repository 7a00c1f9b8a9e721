// SPDX-License-Identifier: Apache-2.0
// KbsDaemon: a running cocoon-kbs built from a KbsConfig (store, keys, verifiers, policies,
// HTTP server, session sweeper). cmd/cocoon-kbs and the integration tests both start one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "kbs/config.h"

namespace cocoon::kbs {

class KbsDaemon {
 public:
  // Validates `config`, creates the data directory (0700), opens the store, loads the
  // admin key and the token signing key (generating <data_dir>/token-signing-key.pem,
  // 0600, on first start when none is configured), registers the verifiers (sample only
  // with allow_sample, logged as a warning) and starts listening.
  // Errors: those of validateKbsConfig, the store, key files (named), and the server
  // (kUnavailable when the address is in use).
  // `build` names this build in tokens (ear.verifier-id.build), e.g. "cocoon-kbs 0.3.0".
  static Result<std::unique_ptr<KbsDaemon>> start(const KbsConfig& config,
                                                  std::string build = "cocoon-kbs");
  ~KbsDaemon();
  KbsDaemon(const KbsDaemon&) = delete;
  KbsDaemon& operator=(const KbsDaemon&) = delete;

  // The port the server listens on (useful with listen = "host:0").
  std::uint16_t port() const;
  // Graceful stop (also done by the destructor).
  void stop();

 private:
  struct Impl;
  explicit KbsDaemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cocoon::kbs
