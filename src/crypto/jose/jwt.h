// SPDX-License-Identifier: Apache-2.0
// JSON Web Tokens (RFC 7519): a compact JWS whose payload is a JSON claims set, verified
// with the JWS rules plus explicit-time claim checks (exp, nbf, iat, iss, aud).
// Trust: verifyJwt takes attacker-controlled tokens (KBS bearer tokens, attestation
// results); the claims are trustworthy only when it succeeds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/jose/jws.h"
#include "json/json.h"

namespace cocoon::jose {

struct JwtVerifyOptions {
  // Algorithms accepted for the signature. Required: an empty list refuses every token.
  std::vector<JwsAlgorithm> allowed_algorithms;
  // When set, "iss" must be present and equal.
  std::optional<std::string> issuer;
  // When set, "aud" (a string or an array of strings) must be present and contain it.
  // When unset, a token that has an "aud" is refused: RFC 7519 §4.1.3 says a principal
  // that does not identify itself with a value in "aud" must reject the JWT.
  std::optional<std::string> audience;
  // Clock skew tolerated for exp and nbf, in seconds (>= 0).
  std::int64_t leeway_seconds = 0;
  // A token without "exp" is refused unless this is false.
  bool require_exp = true;
  // Further claims that must be present (any type).
  std::vector<std::string> required_claims;
};

struct VerifiedJwt {
  JoseHeader header;
  json::Json claims;  // a JSON object
};

// Checks the claims of an already verified token against `options` at time `now` (there
// is no implicit clock). Fails with:
//   kInvalidClaim   exp/nbf/iat present but not a finite number, iss not a string, aud
//                   neither a string nor an array of strings;
//   kMissingClaim   exp missing while require_exp, iss or aud missing while expected, a
//                   required claim missing;
//   kExpired        now >= exp + leeway;
//   kNotYetValid    now + leeway < nbf;
//   kWrongIssuer / kWrongAudience  a value that differs from the expected one.
JoseStatus checkJwtClaims(const json::Json& claims, const JwtVerifyOptions& options,
                          std::chrono::system_clock::time_point now);

// verifyJwsCompact, then: payload must be a JSON object (kMalformed), a nested JWT
// ("cty": "JWT") is refused (kUnsupportedFeature), then checkJwtClaims.
JoseResult<VerifiedJwt> verifyJwt(std::string_view token, const crypto::Key& key,
                                  const JwtVerifyOptions& options,
                                  std::chrono::system_clock::time_point now,
                                  const JoseLimits& limits = {});
JoseResult<VerifiedJwt> verifyJwt(std::string_view token, const JwkSet& keys,
                                  const JwtVerifyOptions& options,
                                  std::chrono::system_clock::time_point now,
                                  const JoseLimits& limits = {});

// Signs `claims` (a JSON object, else kInvalidArgument) as a compact JWS; adds
// "typ": "JWT" to the protected header unless signer.protected_params sets "typ".
JoseResult<std::string> signJwt(const json::Json& claims, const JwsSigner& signer);

}  // namespace cocoon::jose
