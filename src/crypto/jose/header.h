// SPDX-License-Identifier: Apache-2.0
// The JOSE Header (RFC 7515 §4, RFC 7516 §4): the union of the protected header and the
// unprotected headers of one signature or recipient, and the caps for JOSE parsing.
// Trust: every header comes from an attacker until a signature or tag covering the
// protected part has verified; unprotected parts never become trustworthy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/jose/jose_error.h"
#include "json/json.h"

namespace cocoon::jose {

// Caps on untrusted JOSE input (STYLE.md §5.6). The defaults fit KBS resources and
// ocicrypt layer keys with room to spare.
struct JoseLimits {
  std::size_t max_input_bytes = 4 * 1024 * 1024;  // a whole compact or JSON serialization
  std::size_t max_header_bytes = 64 * 1024;       // one decoded protected header
  std::size_t max_json_depth = 16;                // nesting inside any JSON part
  std::size_t max_entries = 16;                   // signatures / recipients
  std::size_t max_keys = 64;                      // keys in a JWK Set
};

// One validated JOSE Header. `params` holds every parameter, including ones we do not
// interpret (RFC 7515 §4: unknown non-critical parameters are ignored); the registered
// ones we use are also copied out, type-checked.
struct JoseHeader {
  json::Json params = json::Json::object();
  std::string alg;
  std::optional<std::string> enc;  // JWE only
  std::optional<std::string> kid;
  std::optional<std::string> typ;
  std::optional<std::string> cty;
};

enum class HeaderUse : std::uint8_t { kJws, kJwe };

// The parts a JOSE Header is assembled from; nullptr for an absent part.
struct HeaderParts {
  const json::Json* protected_header = nullptr;    // decoded "protected" (integrity-protected)
  const json::Json* shared_unprotected = nullptr;  // JWE "unprotected"
  const json::Json* per_entry = nullptr;           // JWS "header" / JWE recipient "header"
};

// Decodes a base64url protected header into a JSON object. Fails with kBadBase64,
// kTooLarge (beyond limits.max_header_bytes or max_json_depth), kDuplicateParameter (a
// member name twice) or kMalformed (not JSON, not an object).
JoseResult<json::Json> decodeProtectedHeader(std::string_view b64, const JoseLimits& limits);

// Validates and merges the parts. Fails with kMalformed when a part is not an object, a
// registered parameter has the wrong type, "alg" (or "enc" for a JWE) is missing, or
// "crit" is malformed or unprotected; kDuplicateParameter when a name occurs in two parts
// (RFC 7515 §7.2.1, RFC 7516 §7.2.1); kUnknownCritical for any "crit" (we implement no
// extension); kUnsupportedFeature for "zip" in a JWE and "b64" other than true in a JWS.
JoseResult<JoseHeader> buildJoseHeader(const HeaderParts& parts, HeaderUse use);

}  // namespace cocoon::jose
