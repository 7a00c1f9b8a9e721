// SPDX-License-Identifier: Apache-2.0
// JSON Web Signature (RFC 7515): compact and JSON (general and flattened) serializations,
// parsing, verification against a caller-given algorithm allow-list and key or key set,
// and signing. Algorithms: RS/PS 256/384/512, ES256/ES384/ES512 (raw r||s), EdDSA.
// Trust: the parse functions take attacker-controlled text; nothing they return (payload,
// header) may be trusted before verifyJws() succeeds on it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/jose/algorithms.h"
#include "crypto/jose/header.h"
#include "crypto/jose/jose_error.h"
#include "crypto/jose/jwk.h"
#include "crypto/key.h"
#include "json/json.h"

namespace cocoon::jose {

// One signature of a parsed JWS, not yet verified.
struct JwsSignatureEntry {
  std::string protected_b64;  // exactly as received; empty when there is no protected header
  JoseHeader header;          // protected + unprotected parameters, validated
  Bytes signature;
};

// A JWS after parsing: structure and headers checked, nothing verified.
struct ParsedJws {
  std::string payload_b64;                    // exactly as received (the signing input uses it)
  Bytes payload;                              // UNVERIFIED
  std::vector<JwsSignatureEntry> signatures;  // one for compact and flattened
};

// Parses BASE64URL(header).BASE64URL(payload).BASE64URL(signature). Fails with kTooLarge
// beyond limits.max_input_bytes, kMalformed unless there are exactly three segments,
// kBadBase64 for a segment that is not strict base64url, and the errors of
// buildJoseHeader (duplicates, crit, b64) for the header.
JoseResult<ParsedJws> parseJwsCompact(std::string_view token, const JoseLimits& limits = {});
// Parses the general ({"payload","signatures":[...]}) or flattened
// ({"payload","protected","header","signature"}) JSON serialization. Unknown members are
// refused (kMalformed), a missing "payload" (detached content) is kUnsupportedFeature,
// more than limits.max_entries signatures kTooLarge.
JoseResult<ParsedJws> parseJwsJson(std::string_view text, const JoseLimits& limits = {});

struct JwsVerifyOptions {
  // Algorithms the caller accepts. Required: an empty list refuses every JWS.
  std::vector<JwsAlgorithm> allowed_algorithms;
};

struct VerifiedJws {
  Bytes payload;
  JoseHeader header;  // of the signature that verified
  std::size_t signature_index = 0;
};

// Verifies a parsed JWS with one key: succeeds when at least one signature verifies
// (RFC 7515 §7.2 leaves the choice to the application; with one key only that key's
// signature can). Each signature is checked in this order, and the first signature's
// error is returned when none verifies:
//   kUnsupportedAlgorithm  alg "none", HS256, or any name we do not implement;
//   kAlgorithmNotAllowed   alg not in options.allowed_algorithms;
//   kKeyMismatch           alg does not fit the key (RS256 with an EC key, ES256 with
//                          RSA or P-384, ...): the key never decides the algorithm;
//   kBadSignature          the signature does not verify.
JoseResult<VerifiedJws> verifyJws(const ParsedJws& jws, const crypto::Key& key,
                                  const JwsVerifyOptions& options);
// As above with a key set: a signature with a "kid" is checked only against keys with
// that kid (kKeyNotFound when there is none); without a kid, against every key. Keys
// whose "alg" differs from the header's, whose "use" is not "sig" or whose "key_ops"
// lack "verify" are skipped, as are keys that do not fit the alg (kKeyMismatch when no
// key is left).
JoseResult<VerifiedJws> verifyJws(const ParsedJws& jws, const JwkSet& keys,
                                  const JwsVerifyOptions& options);

// Parse + verify in one call.
JoseResult<VerifiedJws> verifyJwsCompact(std::string_view token, const crypto::Key& key,
                                         const JwsVerifyOptions& options,
                                         const JoseLimits& limits = {});
JoseResult<VerifiedJws> verifyJwsCompact(std::string_view token, const JwkSet& keys,
                                         const JwsVerifyOptions& options,
                                         const JoseLimits& limits = {});
JoseResult<VerifiedJws> verifyJwsJson(std::string_view text, const crypto::Key& key,
                                      const JwsVerifyOptions& options,
                                      const JoseLimits& limits = {});
JoseResult<VerifiedJws> verifyJwsJson(std::string_view text, const JwkSet& keys,
                                      const JwsVerifyOptions& options,
                                      const JoseLimits& limits = {});

// Who signs and with which header.
struct JwsSigner {
  crypto::Key key;  // private
  JwsAlgorithm alg;
  // Extra protected header parameters ("kid", "typ", "cty", ...). "alg" is set from
  // `alg`; a different "alg" here is an error.
  json::Json protected_params = json::Json::object();
  // Unprotected header parameters (JSON serialization only); null for none.
  json::Json unprotected = nullptr;
};

// Signs `payload` in the compact serialization. Fails with kInvalidArgument when the key
// is public only, does not fit signer.alg, or the header parameters are inconsistent
// (not an object, a conflicting "alg", an unprotected header, a header we would refuse).
JoseResult<std::string> signJwsCompact(ByteSpan payload, const JwsSigner& signer);

enum class JwsJsonForm : std::uint8_t { kGeneral, kFlattened };

// Signs `payload` once per signer in the JSON serialization. kFlattened needs exactly
// one signer; otherwise the errors of signJwsCompact.
JoseResult<std::string> signJwsJson(ByteSpan payload, std::span<const JwsSigner> signers,
                                    JwsJsonForm form = JwsJsonForm::kGeneral);

}  // namespace cocoon::jose
