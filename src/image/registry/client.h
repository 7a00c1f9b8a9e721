// SPDX-License-Identifier: Apache-2.0
// RegistryClient: pulls manifests and blobs from one registry over the OCI distribution
// spec v2 (https://github.com/opencontainers/distribution-spec/blob/main/spec.md), with
// Basic and Bearer token auth, retries and resumable blob downloads.
// Trust: the registry and its token server are untrusted. Manifests and buffered blobs are
// checked against their digest here; streamed blobs are only size-checked, their digest is
// the caller's (image/layer digest stage).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "http/client.h"

namespace cocoon::image::registry {

namespace auth {
class Authenticator;
}  // namespace auth

// Where the registry is. The lead's image/oci layer maps references and registries.conf
// onto this; this library takes plain strings.
struct Endpoint {
  // "host" or "host:port", as in an image reference ("127.0.0.1:5000", "ghcr.io").
  std::string host;
  // Plain http instead of https. Only for registries the operator marked insecure.
  bool insecure = false;
};

// Registry credentials (from auth.json / docker config.json). The password is a secret:
// it is sent only to the registry (Basic) or its token realm, and never printed.
struct Credentials {
  std::string username;
  std::string password;
};

struct RegistryOptions {
  std::size_t max_manifest_bytes = std::size_t{4} << 20;
  // Cap for getBlob (image configs); streamBlob has no cap but the expected size.
  std::size_t max_blob_bytes = std::size_t{16} << 20;
  std::size_t max_token_response_bytes = std::size_t{1} << 20;
  // Attempts per request on connection failures, 429 and 5xx (1 = no retry).
  int max_attempts = 5;
  // Backoff before retry n (n >= 1): initial_backoff * 2^(n-1), at most max_backoff; a
  // Retry-After header in seconds is honoured up to max_backoff.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  // Lifetime of a bearer token whose response has no expires_in (distribution token spec).
  std::chrono::seconds default_token_lifetime{60};
  // Time source for token expiry and the sleep between retries; tests inject fakes.
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
  std::function<void(std::chrono::milliseconds)> sleep{};  // empty: this_thread::sleep_for
  // pushBlob sends a blob of at most this many bytes in one PUT, larger ones in PATCH
  // chunks of this size: the most a push holds in memory per blob.
  std::size_t upload_chunk_bytes = std::size_t{8} << 20;
};

// Calls `sink` with a blob's bytes in order; returns the first error of `sink` or its own.
using BodyProducer = std::function<Status(const http::ChunkCallback& sink)>;

struct ManifestResponse {
  Bytes bytes;
  // The Content-Type without parameters ("application/vnd.oci.image.manifest.v1+json").
  std::string media_type;
  // "sha256:<hex>" of `bytes` (sha512 when the reference was a sha512 digest); checked
  // against the reference when it is a digest and against Docker-Content-Digest if sent.
  std::string digest;
};

// A client for one registry endpoint. Thread-safe: calls may run concurrently (the token
// cache is locked; `http` must be thread-safe, as CurlHttpClient is). Holds a reference
// to `http`, which must outlive it.
//
// Auth: requests go out anonymously until the registry answers 401 with a challenge.
// Basic: the credentials are sent from then on. Bearer: a token for
// `repository:<repo>:pull` is fetched from the challenge's realm (with Basic auth when
// there are credentials), cached per scope until it expires, and the request is retried
// once. A realm URL on plain http is refused unless the endpoint is insecure.
//
// Common errors of every call:
//   kInvalidArgument   bad repository name, reference or digest (checked before any I/O);
//   kUnauthenticated   401 without credentials: "registry X requires credentials for
//                      repository Y"; with credentials: "... rejected the credentials ...";
//   kPermissionDenied  403 from the registry or the token server;
//   kUnimplemented     a challenge in an unsupported scheme;
//   kUnavailable       connection failures, 429 and 5xx after max_attempts attempts;
//   kDeadlineExceeded  the http client's stall or overall timeout (not retried);
//   kFailedPrecondition another unexpected HTTP status (named in the message);
// plus the call-specific codes below. Messages name the registry and repository.
class RegistryClient {
 public:
  RegistryClient(Endpoint endpoint, std::optional<Credentials> credentials, http::HttpClient& http,
                 RegistryOptions options = {});
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // GET /v2/: checks that the endpoint speaks distribution v2 and learns its auth scheme.
  // A 401 is success (auth happens per repository later).
  // Errors: kNotFound when /v2/ is not there; the common ones.
  Status ping();

  // GET /v2/<repo>/manifests/<reference> with Accept: `accepted_media_types` (joined).
  // `reference` is a tag or a digest "sha256:<64 hex>" / "sha512:<128 hex>".
  // Errors: kNotFound naming repository and reference; kResourceExhausted over
  // max_manifest_bytes; kDataLoss when the bytes do not match the digest reference or the
  // Docker-Content-Digest header; the common ones.
  Result<ManifestResponse> getManifest(const std::string& repository, const std::string& reference,
                                       const std::vector<std::string>& accepted_media_types);

  // GET /v2/<repo>/blobs/<digest> into memory (image configs), checked against `digest`.
  // Errors: kNotFound; kResourceExhausted over max_blob_bytes; kDataLoss on a digest
  // mismatch; the common ones.
  Result<Bytes> getBlob(const std::string& repository, const std::string& digest);

  // Streams blob `digest` of `expected_size` bytes to `on_chunk`, following redirects to
  // blob stores. A connection failure, 429 or 5xx is retried (max_attempts in total) and
  // the download resumes with `Range: bytes=<received>-`: each byte is delivered exactly
  // once, in order. Returns the number of bytes delivered (== expected_size).
  // Does not check the digest (the caller's pipeline hashes what it consumes).
  // Errors: kDataLoss when the registry sends more than expected_size bytes, or the body
  // ends short; kAborted when a resumed request is answered with the whole blob (200) or
  // another range (the caller may restart the whole download); an error returned by
  // `on_chunk`, unchanged and not retried; kNotFound; the common ones.
  Result<std::uint64_t> streamBlob(const std::string& repository, const std::string& digest,
                                   std::uint64_t expected_size,
                                   const http::ChunkCallback& on_chunk);

  // Push side. Requests carry a token of scope repository:<repo>:pull,push.

  // HEAD /v2/<repo>/blobs/<digest>: whether the registry has the blob with `size` bytes
  // (a Content-Length other than `size` counts as absent).
  // Errors: the common ones (404 is `false`, not an error).
  Result<bool> hasBlob(const std::string& repository, const std::string& digest,
                       std::uint64_t size);

  // Uploads blob `digest` of `size` bytes: POST /v2/<repo>/blobs/uploads/, then the bytes
  // of `producer` in PATCH requests of upload_chunk_bytes (Content-Range), then PUT
  // <location>?digest=<digest> with the rest (a blob that fits one chunk goes in that PUT
  // alone). Upload Locations may be relative or on another origin (a blob store): no
  // Authorization header is sent to another origin, and https never downgrades to http.
  // Requests are retried as in execute(); a re-sent PATCH that the registry had applied
  // is refused by its Content-Range check (416), never appended twice.
  // The commit (PUT) happens only when `producer` returned success having produced
  // exactly `size` bytes; otherwise the upload session is cancelled (DELETE, best effort)
  // and nothing is stored. The producer checks the digest itself if it must (the
  // registry checks it too: its refusal is kDataLoss).
  // Errors: the producer's error unchanged; kDataLoss when it produced another size or
  // the registry rejects the digest; kPermissionDenied (403), kFailedPrecondition for an
  // unexpected status or a Location missing or downgrading to http; the common ones.
  Status pushBlob(const std::string& repository, const std::string& digest, std::uint64_t size,
                  const BodyProducer& producer);

  // PUT /v2/<repo>/manifests/<reference> with Content-Type `media_type`. Returns the
  // sha256 digest of `body`. Errors: kInvalidArgument for a bad reference; kDataLoss when
  // the registry's Docker-Content-Digest differs from the digest of `body`; 400 (the
  // registry rejects the manifest, e.g. a blob it names is missing) as kFailedPrecondition
  // with the registry's error text; the common ones.
  Result<std::string> putManifest(const std::string& repository, const std::string& reference,
                                  const std::string& body, const std::string& media_type);

 private:
  enum class Access : std::uint8_t { kPull, kPush, kNone };
  // Sends one logical request: adds auth, answers 401 challenges once, retries transport
  // failures, 429 and 5xx; returns the final response (any other status) to the caller.
  // `perform` does one HTTP exchange; it returns the error of a failed exchange and sets
  // *retryable to whether that error may be retried.
  using Perform = std::function<Result<http::Response>(const http::Request&, bool* retryable)>;
  // kNone sends no Authorization (a request to another origin than the registry).
  Result<http::Response> execute(const std::string& repository, http::Request request,
                                 const Perform& perform, Access access = Access::kPull);
  // An upload Location made absolute; kFailedPrecondition when missing or a downgrade.
  Result<std::string> uploadUrl(const http::Response& response) const;
  bool sameOrigin(const std::string& absolute_url) const;
  // A Perform that sends one buffered request with a body cap.
  Perform buffered(std::size_t max_body_bytes);
  void backoff(int attempt, const http::Response* response);
  std::string url(const std::string& repository, const std::string& kind,
                  const std::string& reference) const;

  const Endpoint endpoint_;
  const std::optional<Credentials> credentials_;
  http::HttpClient& http_;
  const RegistryOptions options_;
  std::unique_ptr<auth::Authenticator> auth_;
};

}  // namespace cocoon::image::registry
