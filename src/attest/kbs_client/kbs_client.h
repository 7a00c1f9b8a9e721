// SPDX-License-Identifier: Apache-2.0
// KbsClient: the guest (and tooling) side of the KBS attestation protocol: RCAR handshake
// (auth -> attest -> token) and resource fetches decrypted with the guest's key.
//
// Trust: the KBS is trusted (the owner runs it), but the network in between is not: a
// resource is accepted only as a JWE that decrypts with our private key.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "http/client.h"
#include "json/json.h"
#include "kbs_protocol/tee.h"

namespace cocoon::attest {

// Produces evidence bound to `report_data` (the runtime-data digest of the protocol).
class Attester {
 public:
  virtual ~Attester() = default;
  virtual kbs_protocol::Tee tee() const = 0;
  // The primary_evidence JSON. Errors: the TEE's own.
  virtual Result<json::Json> evidence(ByteSpan report_data) = 0;
};

// The `sample` TEE: evidence that proves nothing (development only).
class SampleAttester : public Attester {
 public:
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kSample; }
  Result<json::Json> evidence(ByteSpan report_data) override;
};

struct KbsClientOptions {
  std::string init_data;  // TOML init-data to send, empty for none
};

// One client holds one session (cookie) and the token it earned. Not thread-safe.
class KbsClient {
 public:
  // `base_url`: "http://127.0.0.1:8080" or "https://kbs.example". `tee_key` is the guest's
  // ephemeral private key (EC P-256 by default, as CoCo clients use); `http` must outlive.
  KbsClient(std::string base_url, crypto::Key tee_key, http::HttpClient& http,
            KbsClientOptions options = {});

  // Runs auth + attest and keeps the token. Errors: kUnauthenticated (refused, with the
  // KBS's error type and detail), kPermissionDenied (policy), kUnavailable (transport),
  // kInvalidArgument (a malformed answer from the KBS).
  Result<std::string> attest(Attester& attester);

  // GET /kbs/v0/resource/<path> ("repo/type/tag") with the token (or the session) and
  // decrypts the JWE. Errors: kNotFound, kPermissionDenied (policy), kUnauthenticated,
  // JWE errors as kDataLoss.
  Result<SecretBytes> getResource(std::string_view path);

  // Use a token obtained elsewhere (e.g. by another client) for getResource.
  void setToken(std::string token) { token_ = std::move(token); }
  const std::string& token() const { return token_; }

 private:
  Result<http::Response> post(std::string_view path, std::string body);
  std::string base_url_;
  crypto::Key tee_key_;
  http::HttpClient& http_;
  KbsClientOptions options_;
  std::string cookie_;
  std::string token_;
};

// Maps a KBS error answer (status + {"type","detail"} body) to an Error.
Error kbsAnswerError(const http::Response& response, std::string_view what);

}  // namespace cocoon::attest
