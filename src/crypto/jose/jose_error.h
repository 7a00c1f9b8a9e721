// SPDX-License-Identifier: Apache-2.0
// JoseError: why a JOSE object (JWK, JWS, JWT, JWE) was refused, as a reason enum fine
// enough for tests and for KBS error mapping, plus its mapping onto cocoon::Code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "common/result.h"

namespace cocoon::jose {

enum class JoseReason : std::uint8_t {
  kMalformed,             // wrong structure: segment count, JSON shape, member types
  kBadBase64,             // a member or segment is not strict unpadded base64url
  kTooLarge,              // input, header or member count beyond a cap
  kDuplicateParameter,    // a header parameter in two header parts (RFC 7515 §7.2.1)
  kUnknownCritical,       // "crit" names an extension we do not implement
  kUnsupportedAlgorithm,  // alg/enc we never accept ("none", HS256, RSA1_5, PBES2, ...)
  kUnsupportedKey,        // kty/crv we do not support ("oct" in a key set, X448, ...)
  kUnsupportedFeature,    // "zip" (DEF), "b64": false (RFC 7797), detached payloads
  kAlgorithmNotAllowed,   // a supported algorithm outside the caller's allow-list
  kKeyMismatch,           // the alg does not fit the key's type or curve
  kKeyNotFound,           // no key in the set matches the kid / alg
  kInvalidKey,            // a JWK that does not describe a valid key
  kWrongCurve,            // an ECDH-ES "epk" on another curve than the recipient's key
  kBadSignature,          // the signature does not verify
  kDecryptionFailed,      // a JWE does not decrypt (one reason for every step)
  kExpired,               // JWT "exp" has passed
  kNotYetValid,           // JWT "nbf" is in the future
  kWrongIssuer,           // JWT "iss" differs from the expected issuer
  kWrongAudience,         // JWT "aud" does not name the expected audience
  kMissingClaim,          // a required JWT claim is absent
  kInvalidClaim,          // a JWT claim has the wrong type ("exp": "tomorrow")
  kInvalidArgument,       // the caller's own arguments are inconsistent (not input)
};

// "MALFORMED", "BAD_BASE64", ... (stable; used in logs and tests).
std::string_view joseReasonName(JoseReason reason);

// The canonical code for a reason: kInvalidArgument for malformed input,
// kResourceExhausted for kTooLarge, kUnimplemented for unsupported algorithms, keys and
// features, kUnauthenticated for every verification or decryption failure and every
// failed JWT claim check (a token that must not be trusted).
Code joseReasonCode(JoseReason reason);

// The error value of every public function in cocoon::jose. Converts implicitly to
// cocoon::Error so that functions returning Result<T> can COCOON_TRY a jose call.
struct JoseError {
  JoseReason reason = JoseReason::kMalformed;
  std::string message;

  // "jose BAD_SIGNATURE: <message>" under joseReasonCode(reason).
  operator Error() const;  // NOLINT(google-explicit-constructor): intended, see above
  std::string toString() const;
};

template <class T>
using JoseResult = Result<T, JoseError>;
using JoseStatus = Result<void, JoseError>;

// `return joseFail(JoseReason::kX, "fmt {}", v);` in functions returning JoseResult<T>.
template <typename... Args>
tl::unexpected<JoseError> joseFail(JoseReason reason, fmt::format_string<Args...> format,
                                   Args&&... args) {
  return tl::unexpected<JoseError>(
      JoseError{reason, fmt::format(format, std::forward<Args>(args)...)});
}

// Maps an error of a lower layer (crypto, json, encoding) onto `reason`, keeping its
// message after `what`: joseFromError(kBadBase64, "JWS signature", e).
tl::unexpected<JoseError> joseFromError(JoseReason reason, std::string_view what,
                                        const Error& error);

}  // namespace cocoon::jose
