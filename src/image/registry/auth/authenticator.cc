// SPDX-License-Identifier: Apache-2.0
// Registry auth: Basic, and the distribution token flow
// (https://distribution.github.io/distribution/spec/auth/token/).
#include "image/registry/auth/authenticator.h"

#include <cctype>

#include "common/encoding.h"
#include "image/registry/auth/challenge.h"

namespace cocoon::image::registry::auth {
namespace {

std::string percentEncode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string scopeFor(const std::string& repository, bool push) {
  return "repository:" + repository + (push ? ":pull,push" : ":pull");
}

}  // namespace

Authenticator::Authenticator(Endpoint endpoint, std::optional<Credentials> credentials,
                             http::HttpClient& http, const RegistryOptions& options)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      http_(http),
      options_(options) {}

std::string Authenticator::basicHeader() const {
  return "Basic " + base64Encode(asBytes(credentials_->username + ":" + credentials_->password));
}

Error Authenticator::refused(const std::string& repository) const {
  if (!credentials_) {
    return makeError(Code::kUnauthenticated, "registry {} requires credentials for repository {}",
                     endpoint_.host, repository);
  }
  return makeError(Code::kUnauthenticated,
                   "registry {} rejected the credentials of user '{}' for repository {}",
                   endpoint_.host, credentials_->username, repository);
}

Result<std::string> Authenticator::headerFor(const std::string& repository, bool push) {
  std::lock_guard lock(mutex_);
  if (scheme_ == Scheme::kBasic && credentials_) {
    return basicHeader();
  }
  if (scheme_ != Scheme::kBearer || repository.empty()) {
    return std::string();
  }
  const std::string scope = scopeFor(repository, push);
  auto it = tokens_.find(scope);
  if (it != tokens_.end() && options_.now() < it->second.expiry) {
    return "Bearer " + it->second.value;
  }
  COCOON_ASSIGN_OR_RETURN(std::string token, fetchToken(repository, push));
  return "Bearer " + token;
}

Status Authenticator::answer(const http::Response& response, const std::string& repository,
                             const std::string& sent, bool push) {
  std::optional<Challenge> basic;
  std::optional<Challenge> bearer;
  std::string unsupported;
  auto [first, last] = response.headers.equal_range("www-authenticate");
  for (auto it = first; it != last; ++it) {
    auto challenges = parseChallenges(it->second);
    if (!challenges) {
      return fail(Code::kInvalidArgument, "registry {} sent a malformed WWW-Authenticate: {}",
                  endpoint_.host, challenges.error().message);
    }
    for (auto& challenge : *challenges) {
      if (challenge.scheme == "bearer") {
        bearer = std::move(challenge);
      } else if (challenge.scheme == "basic") {
        basic = std::move(challenge);
      } else {
        unsupported = challenge.scheme;
      }
    }
  }
  std::lock_guard lock(mutex_);
  if (bearer) {
    scheme_ = Scheme::kBearer;
    realm_ = bearer->params["realm"];
    service_ = bearer->params["service"];
    if (repository.empty()) {
      return okStatus();
    }
    tokens_.erase(scopeFor(repository, push));
    COCOON_TRY(fetchToken(repository, push));
    return okStatus();
  }
  if (basic) {
    scheme_ = Scheme::kBasic;
    if (repository.empty()) {
      return okStatus();
    }
    if (!credentials_ || sent.rfind("Basic ", 0) == 0) {
      return fail(refused(repository));
    }
    return okStatus();
  }
  if (!unsupported.empty()) {
    return fail(Code::kUnimplemented, "registry {} asks for unsupported auth scheme '{}'",
                endpoint_.host, unsupported);
  }
  if (repository.empty()) {
    return okStatus();
  }
  return fail(refused(repository));
}

Result<std::string> Authenticator::fetchToken(const std::string& repository, bool push) {
  const std::string scope = scopeFor(repository, push);
  if (realm_.rfind("https://", 0) != 0 &&
      !(endpoint_.insecure && realm_.rfind("http://", 0) == 0)) {
    return fail(Code::kFailedPrecondition,
                "registry {} names token realm '{}': https required (http only for an "
                "insecure registry)",
                endpoint_.host, http::redactUrl(realm_).substr(0, 200));
  }
  http::Request request;
  request.url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&");
  if (!service_.empty()) {
    request.url += "service=" + percentEncode(service_) + "&";
  }
  request.url += "scope=" + percentEncode(scope);
  if (credentials_) {
    request.headers.emplace_back("Authorization", basicHeader());
  }
  const auto started = options_.now();
  COCOON_ASSIGN_OR_RETURN(http::Response response,
                          withContext(http_.send(request, options_.max_token_response_bytes),
                                      fmt::format("token for {}", scope)));
  if (response.status == 401) {
    return fail(refused(repository));
  }
  if (response.status == 403) {
    return fail(Code::kPermissionDenied, "token server of registry {} denies {}", endpoint_.host,
                scope);
  }
  if (response.status != 200) {
    return fail(Code::kFailedPrecondition, "token server of registry {} answered HTTP {} for {}",
                endpoint_.host, response.status, scope);
  }
  auto parsed = parseTokenResponse(toString(response.body), options_.default_token_lifetime);
  if (!parsed) {
    return fail(parsed.error().addContext(
        fmt::format("token response of registry {} for {}", endpoint_.host, scope)));
  }
  tokens_[scope] = Token{parsed->token, started + parsed->expires_in};
  return std::move(parsed->token);
}

}  // namespace cocoon::image::registry::auth
