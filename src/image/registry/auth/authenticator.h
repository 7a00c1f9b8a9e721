// SPDX-License-Identifier: Apache-2.0
// Authenticator: what Authorization header a registry request carries, and how a 401
// challenge is answered (Basic credentials, or a bearer token cached per scope).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "http/client.h"
#include "image/registry/client.h"

namespace cocoon::image::registry::auth {

// Thread-safe; token fetches run under the lock, so concurrent requests for one scope
// fetch one token. References `http` and `options`, which must outlive it.
class Authenticator {
 public:
  Authenticator(Endpoint endpoint, std::optional<Credentials> credentials, http::HttpClient& http,
                const RegistryOptions& options);

  // The Authorization value for a request on `repository` ("" for none): Basic once the
  // registry asked for it, a cached unexpired bearer token, or a freshly fetched one when
  // the bearer realm is known. `push` asks for a token of scope
  // repository:<repo>:pull,push instead of :pull (cached separately).
  // Errors: those of a token fetch (see answer()).
  Result<std::string> headerFor(const std::string& repository, bool push = false);

  // Handles a 401 answer to a request on `repository` (empty for /v2/) that carried
  // `sent` ("" for none): records the scheme and, for Bearer, drops the cached token and
  // fetches a new one. Errors: kUnauthenticated when there is nothing new to try (Basic
  // already sent, or Basic without credentials) or the token server refuses (401);
  // kPermissionDenied on 403 from the token server; kUnimplemented for an unsupported
  // scheme; kInvalidArgument for a malformed challenge or token response;
  // kFailedPrecondition for a plain-http realm of an https registry or another token
  // server status; kUnavailable and kDeadlineExceeded from the token request.
  Status answer(const http::Response& response, const std::string& repository,
                const std::string& sent, bool push = false);

  // The kUnauthenticated error for a request the registry still refuses.
  Error refused(const std::string& repository) const;

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expiry;
  };
  enum class Scheme : std::uint8_t { kNone, kBasic, kBearer };

  // A token for repository:<repository>:pull (or :pull,push), cached. REQUIRES: mutex_ held.
  Result<std::string> fetchToken(const std::string& repository, bool push);
  std::string basicHeader() const;

  const Endpoint endpoint_;
  const std::optional<Credentials> credentials_;
  http::HttpClient& http_;
  const RegistryOptions& options_;

  std::mutex mutex_;
  Scheme scheme_ = Scheme::kNone;        // guarded by mutex_
  std::string realm_;                    // guarded by mutex_
  std::string service_;                  // guarded by mutex_
  std::map<std::string, Token> tokens_;  // by scope; guarded by mutex_
};

}  // namespace cocoon::image::registry::auth
