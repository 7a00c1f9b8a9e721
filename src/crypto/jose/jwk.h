// SPDX-License-Identifier: Apache-2.0
// JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037 for OKP): RSA, EC P-256/P-384/P-521 and
// OKP Ed25519/X25519 keys to and from crypto::Key, RFC 7638 thumbprints, JWK Sets.
// Trust: parseJwk/parseJwkSet take attacker-controlled JSON (KBS tee-pubkey, JWE "epk",
// JWKS documents); they check every member and validate the key before returning it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/jose/header.h"
#include "crypto/jose/jose_error.h"
#include "crypto/key.h"
#include "json/json.h"

namespace cocoon::jose {

// A key and the JWK metadata members we understand. Copies share the key (see Key).
struct Jwk {
  crypto::Key key;
  std::optional<std::string> kid;
  std::optional<std::string> alg;  // the only algorithm this key may be used with, if set
  std::optional<std::string> use;  // "sig" or "enc" (other values are kept, not checked)
  std::vector<std::string> key_ops;
};

// Parses one JWK from JSON text of at most limits.max_header_bytes. Accepted members:
// kty, kid, alg, use, key_ops, x5u, x5c, x5t, x5t#S256, ext (ignored beyond type) and the
// key parameters of the key type; any other member is refused (kMalformed), so are
// parameters of another key type. Fails with:
//   kMalformed       not a JSON object, a missing or mistyped member, unknown members;
//   kBadBase64       a key parameter that is not strict unpadded base64url;
//   kUnsupportedKey  kty "oct" or unknown, curves other than P-256/P-384/P-521/Ed25519/
//                    X25519, multi-prime RSA ("oth"), an RSA private key without CRT
//                    parameters;
//   kInvalidKey      coordinate/scalar lengths that differ from the curve's size, RSA n or
//                    e with a leading zero octet, a partial set of private RSA members, a
//                    point not on the curve, a private part not matching the public one,
//                    an RSA modulus under 2048 bits;
//   kTooLarge / kDuplicateParameter as for any JOSE JSON.
JoseResult<Jwk> parseJwk(std::string_view text, const JoseLimits& limits = {});
// The same checks on an already parsed JSON value.
JoseResult<Jwk> jwkFromJson(const json::Json& object);

enum class JwkExport : std::uint8_t { kPublic, kPrivate };

// The JWK of `jwk` (metadata members included when set). kPrivate adds d (and p, q, dp,
// dq, qi for RSA); it fails with kInvalidArgument for a public-only key.
JoseResult<json::Json> jwkToJson(const Jwk& jwk, JwkExport what = JwkExport::kPublic);
// jwkToJson as compact JSON text.
JoseResult<std::string> serializeJwk(const Jwk& jwk, JwkExport what = JwkExport::kPublic);

// RFC 7638 thumbprint: SHA-256 over the required public members in lexicographic order
// without whitespace ({"e","kty","n"}, {"crv","kty","x","y"}, {"crv","kty","x"}).
Bytes jwkThumbprint(const crypto::Key& key);
// The same, base64url-encoded (the form used as a "kid").
std::string jwkThumbprintBase64Url(const crypto::Key& key);

// A JWK Set (RFC 7517 §5).
struct JwkSet {
  std::vector<Jwk> keys;
};

// Parses {"keys":[...]} of at most limits.max_input_bytes and limits.max_keys keys.
// Keys whose kty or curve we do not support are skipped, as RFC 7517 §5 asks; any other
// error in any key fails the whole set with that key's reason. Members other than "keys"
// are refused (kMalformed).
JoseResult<JwkSet> parseJwkSet(std::string_view text, const JoseLimits& limits = {});

}  // namespace cocoon::jose
