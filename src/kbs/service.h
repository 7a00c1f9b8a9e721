// SPDX-License-Identifier: Apache-2.0
// KbsService: the key broker's HTTP endpoints (KBS attestation protocol 0.4, RCAR) on top
// of the store, the verifiers, the policies and the token signer.
//
//   POST /kbs/v0/auth                      Request -> Challenge + kbs-session-id cookie
//   POST /kbs/v0/attest                    Attestation -> {"token": EAR JWT}
//   GET  /kbs/v0/resource/<repo>/<type>/<tag>   cookie or Bearer token -> JWE to tee-pubkey
//   POST /kbs/v0/resource/<repo>/<type>/<tag>   admin: set a resource (body = bytes)
//   POST /kbs/v0/attestation-policy        admin: {"type","policy_id","policy": base64}
//   POST /kbs/v0/resource-policy           admin: {"policy": base64url}
//   POST /kbs/v0/reference-value/<name>    admin: {"values": [...], "mode", "expires_in"}
//   GET  /kbs/v0/reference-value           admin: every reference value
//   GET  /.well-known/jwks.json            the token verification keys
//
// Trust: everything arriving here is hostile (it faces the internet). Sessions live in
// the store, so replicas sharing a store need no sticky routing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/server/metrics.h"
#include "http/server/router.h"
#include "kbs/admin_auth.h"
#include "kbs/store/store.h"
#include "kbs/token/ear.h"
#include "verify/verifier.h"

namespace cocoon::kbs {

struct KbsServiceOptions {
  std::chrono::seconds session_ttl{300};
  std::uint64_t max_sessions = 100000;
  std::size_t max_resource_bytes = 1024 * 1024;
  // Sample evidence is accepted by the verifier registry only when registered; this also
  // makes the built-in resource policy release resources to it (development only).
  bool allow_sample = false;
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

// Thread-safe: handlers run concurrently on the server's threads. The store, verifiers and
// metrics must outlive the service.
class KbsService {
 public:
  KbsService(store::KbsStore& store, const verify::VerifierRegistry& verifiers,
             AdminAuthenticator admin, token::EarSigner signer,
             http::server::MetricsRegistry& metrics, KbsServiceOptions options = {});
  ~KbsService();
  KbsService(const KbsService&) = delete;
  KbsService& operator=(const KbsService&) = delete;

  // Adds every endpoint above to `router`. Errors: kAlreadyExists for a clash.
  Status addRoutes(http::server::Router& router);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The error responder of a KBS router: {"type": ".../errors/<Kind>", "detail"} bodies for
// the server's own 404/405/413/431 answers too.
http::server::Response kbsErrorResponse(unsigned status, std::string_view detail);

}  // namespace cocoon::kbs
