// SPDX-License-Identifier: Apache-2.0
// KbsClient: the guest (and tooling) side of the KBS attestation protocol: RCAR handshake
// (auth -> attest -> token) and resource fetches decrypted with the guest's key.
//
// Trust: the KBS is trusted (the owner runs it), but the network in between is not: a
// resource is accepted only as a JWE that decrypts with our private key.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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

// Retries of one KBS request: transport failures that may pass (kUnavailable: refused,
// reset, truncated; kDeadlineExceeded: stalled or slow) and 5xx answers are retried after
// a backoff that doubles from `initial_backoff` up to `max_backoff`. Other failures (TLS
// verification, 4xx, malformed answers) are returned at once.
struct KbsRetryPolicy {
  int max_attempts = 4;  // >= 1; 1 disables retries
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{3'000};
};

struct KbsClientOptions {
  std::string init_data;  // TOML init-data to send, empty for none
  KbsRetryPolicy retry;
  // A token is renewed (re-attestation) this long before its `exp`.
  std::chrono::seconds token_expiry_margin{10};
  // Seams for tests: the wall clock compared with the token's exp, and the wait between
  // attempts. Empty: std::chrono::system_clock::now and std::this_thread::sleep_for.
  std::function<std::chrono::system_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// One client holds one session (cookie) and the token it earned. Not thread-safe.
class KbsClient {
 public:
  // `base_url`: "http://127.0.0.1:8080" or "https://kbs.example". `tee_key` is the guest's
  // ephemeral private key (EC P-256 by default, as CoCo clients use; RSA for
  // RSA-OAEP-256, see generateTeeKey); `http` must outlive the client (makeKbsHttpClient
  // makes one that trusts only the pinned KBS certificate).
  KbsClient(std::string base_url, crypto::Key tee_key, http::HttpClient& http,
            KbsClientOptions options = {});

  // Runs auth + attest and keeps the token, and `attester` (which must outlive the client)
  // for re-attestation by getResource. Errors: kUnauthenticated (refused, with the KBS's
  // error type and detail), kPermissionDenied (policy), kInvalidArgument (a malformed
  // answer from the KBS), kFailedPrecondition (TLS verification failed), and, after the
  // retries, kUnavailable / kDeadlineExceeded naming the URL, the attempts and the last
  // error; the attester's own errors.
  Result<std::string> attest(Attester& attester);

  // GET /kbs/v0/resource/<path> ("repo/type/tag") with the token (or the session) and
  // decrypts the JWE. When the token came from attest() and is past its exp (minus the
  // margin), or the KBS answers 401, the client attests again once and retries.
  // Errors: kNotFound, kPermissionDenied (policy), kUnauthenticated, JWE errors as
  // kDataLoss, transport errors as for attest().
  Result<SecretBytes> getResource(std::string_view path);

  // Use a token obtained elsewhere (e.g. by another client) for getResource; no automatic
  // re-attestation happens for it.
  void setToken(std::string token);
  const std::string& token() const { return token_; }
  // The token's exp claim (seconds since the epoch), when it has one.
  std::optional<std::int64_t> tokenExpiry() const { return token_exp_; }
  // How many RCAR handshakes this client completed (re-attestations included).
  int attestations() const { return attestations_; }

 private:
  Result<http::Response> post(std::string_view path, std::string body);
  Result<http::Response> sendWithRetry(const http::Request& request, std::string_view what);
  Result<std::string> handshake(Attester& attester);
  bool tokenExpired() const;
  std::string base_url_;
  crypto::Key tee_key_;
  http::HttpClient& http_;
  KbsClientOptions options_;
  std::string cookie_;
  std::string token_;
  std::optional<std::int64_t> token_exp_;
  Attester* attester_ = nullptr;
  int attestations_ = 0;
};

// The guest's ephemeral key types: EC P-256 (ECDH-ES+A256KW, the default) or RSA 2048
// (RSA-OAEP-256).
enum class TeeKeyType : std::uint8_t { kEcP256, kRsa2048 };
// Errors: those of crypto::Key::generate.
Result<crypto::Key> generateTeeKey(TeeKeyType type);

// The `exp` claim of a JWT, read without verifying anything: the client only uses it to
// know when to re-attest. nullopt when the token is not a JWT or has no integer exp.
std::optional<std::int64_t> jwtExpiry(std::string_view token);

struct KbsHttpOptions {
  // PEM file with the KBS's certificate (self-signed) or the CA that issued it. For an
  // https KBS it is the only trust anchor: the guest never trusts the host's store.
  std::string kbs_cert_file;
  // Lets an https KBS be reached with the system CA store when no certificate is pinned
  // (tooling outside a guest only).
  bool allow_system_trust = false;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds stall_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
};

// An HTTP client for one KBS. Errors: kFailedPrecondition for an https URL without
// kbs_cert_file unless allow_system_trust; kInvalidArgument for a URL that is neither
// http:// nor https://, and those of http::makeCurlHttpClient (unreadable PEM file).
Result<std::unique_ptr<http::HttpClient>> makeKbsHttpClient(std::string_view base_url,
                                                            const KbsHttpOptions& options);

// Maps a KBS error answer (status + {"type","detail"} body) to an Error.
Error kbsAnswerError(const http::Response& response, std::string_view what);

}  // namespace cocoon::attest
