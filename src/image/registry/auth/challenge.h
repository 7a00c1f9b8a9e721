// SPDX-License-Identifier: Apache-2.0
// Parsers for the registry auth handshake: WWW-Authenticate challenges (RFC 7235) and the
// bearer token response of the distribution token spec.
// Trust: both come from the registry or its token server and are hostile.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::image::registry::auth {

// One challenge: the scheme in lower case ("basic", "bearer") and its auth-params with
// lower-case names ("realm", "service", "scope").
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

// Parses one WWW-Authenticate header value, which may hold several challenges
// (`Basic realm="r", Bearer realm="https://a/token",service="s"`). Quoted strings may
// contain commas and backslash escapes. At most 16 challenges of 16 params each.
// Errors: kInvalidArgument naming the byte offset of a malformed challenge (unterminated
// quote, missing scheme, parameter without '='), kResourceExhausted over the caps.
Result<std::vector<Challenge>> parseChallenges(std::string_view header);

struct TokenResponse {
  std::string token;  // secret: never printed
  std::chrono::seconds expires_in{0};
};

// Parses a token server's JSON answer: `token`, or `access_token` when `token` is absent
// (OAuth2 form); `expires_in` in seconds, `default_lifetime` when absent (the spec's
// default is 60 s). The body is capped by the caller.
// Errors: kInvalidArgument for non-JSON, no token, an empty or non-string token, a token
// with characters not allowed in an HTTP header, or a non-positive / non-integer
// expires_in.
Result<TokenResponse> parseTokenResponse(std::string_view body,
                                         std::chrono::seconds default_lifetime);

}  // namespace cocoon::image::registry::auth
