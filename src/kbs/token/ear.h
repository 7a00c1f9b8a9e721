// SPDX-License-Identifier: Apache-2.0
// EAR attestation tokens (draft-fv-rats-ear) as trustee's attestation service issues them:
// an ES256 JWT with one "cpu0" appraisal (status, AR4SI vector, policy id, annotated
// evidence holding the guest's tee-pubkey), plus the JWKS that lets others verify them.
// Trust: verifyEarToken takes attacker-controlled bearer tokens (GET /kbs/v0/resource);
// nothing in a token is trusted before its signature by one of our keys verifies.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/jose/jose_error.h"
#include "crypto/jose/jwk.h"
#include "crypto/key.h"
#include "json/json.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/trust_vector.h"
#include "kbs_protocol/tee.h"

namespace cocoon::kbs::token {

// trustee's EAR profile (PROTOCOLS.md §1.8); guests and KBS clients look for it.
inline constexpr std::string_view kEarProfile =
    "tag:github.com,2024:confidential-containers/Trustee";
// The one appraisal (submodule) a token carries: trustee names CPU TEEs "cpu<index>".
inline constexpr std::string_view kSubmod = "cpu0";
// Our marker in the appraisal for evidence that proves nothing (the sample TEE); true
// when present. The default resource policy denies such tokens.
inline constexpr std::string_view kDevelopmentOnlyClaim = "cocoon.development-only";
// trustee's default token lifetime.
inline constexpr std::chrono::seconds kDefaultValidity{5 * 60};

struct EarIssuerConfig {
  std::string profile{kEarProfile};
  // "ear.verifier-id": who built the verifier, and which build.
  std::string developer = "cocoon";
  std::string build = "cocoon-kbs";
  std::chrono::seconds validity = kDefaultValidity;
};

// Signs EAR tokens with one P-256 key. Immutable; safe to share between threads.
class EarSigner {
 public:
  // kInvalidArgument unless `key` is a private P-256 key (ES256 is what trustee issues
  // and what KBS clients accept) and config.validity is positive.
  static Result<EarSigner> create(crypto::Key key, EarIssuerConfig config = {});

  const EarIssuerConfig& config() const { return config_; }
  const crypto::Key& key() const { return key_; }
  // RFC 7638 thumbprint of the public key: the "kid" of tokens and of the JWKS entry.
  const std::string& kid() const { return kid_; }
  // The public JWK put in every token's header (computed once).
  const json::Json& publicJwk() const { return public_jwk_; }
  // base64url of every token's protected header (computed once).
  const std::string& protectedHeaderB64() const { return protected_b64_; }

 private:
  EarSigner(crypto::Key key, EarIssuerConfig config, std::string kid);
  crypto::Key key_;
  EarIssuerConfig config_;
  std::string kid_;
  json::Json public_jwk_;
  std::string protected_b64_;
};

// What one successful attestation established.
struct EarAppraisal {
  kbs_protocol::Tee tee = kbs_protocol::Tee::kSample;
  // The verifier's claims (a JSON object). Its "report_data" and "init_data" members
  // are moved next to the runtime/init data claims, as trustee's transform_claims does;
  // the rest goes under the TEE's name.
  json::Json tee_claims = json::Json::object();
  // The parsed init-data (an object), or null when the guest sent none.
  json::Json init_data_claims = nullptr;
  // {"nonce": ..., "tee-pubkey": <JWK>}: required, the KBS encrypts resources to it.
  json::Json runtime_data_claims = json::Json::object();
  bool development_only = false;
  policy::AttestationDecision decision;
};

// Issues the token at time `now` (iat = now, exp = now + validity, whole seconds).
// Header {"alg":"ES256","typ":"JWT","jwk":<signer public JWK>,"kid":<thumbprint>}. Claims:
// eat_profile, iat, exp, ear.verifier-id {developer, build}, submods.cpu0 {ear.status,
// ear.trustworthiness-vector, ear.appraisal-policy-id, ear.veraison.annotated-evidence
// {<tee>: claims, report_data, runtime_data_claims, init_data, init_data_claims},
// cocoon.development-only when set}. Fails with kFailedPrecondition when
// appraisal.decision.allow is false (a denied attestation gets no token), and with
// kInvalidArgument when tee_claims is not an object or runtime_data_claims has no
// "tee-pubkey" object.
Result<std::string> issueEarToken(const EarSigner& signer, const EarAppraisal& appraisal,
                                  std::chrono::system_clock::time_point now);

// A verified token.
struct EarToken {
  json::Json claims;  // the whole claims set, for the resource policy
  std::string profile;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
  policy::TrustTier status = policy::TrustTier::kNone;
  policy::TrustVector vector;
  std::string policy_id;
  json::Json annotated_evidence;
  jose::Jwk tee_pubkey;  // public, from runtime_data_claims
  bool development_only = false;
};

struct EarVerifyOptions {
  std::int64_t leeway_seconds = 0;  // clock skew tolerated for exp and iat
  std::string profile{kEarProfile};
};

// Verifies `token` against `keys` (e.g. earVerificationKeys of our signers) at `now`.
// Fails (JoseError, so the reason tells the cases apart; all map to kUnauthenticated
// except malformed input) with:
//   kMalformed / kBadBase64 / kTooLarge  not a compact JWS, or claims not an object;
//   kUnsupportedAlgorithm / kAlgorithmNotAllowed  alg other than ES256 ("none", HS256,
//                       RS256, ES384 ...);
//   kKeyNotFound        the token's kid names none of `keys`;
//   kBadSignature       the signature does not verify with the key(s);
//   kExpired            now >= exp + leeway;
//   kNotYetValid        iat > now + leeway (or nbf in the future when present);
//   kMissingClaim       exp, iat, eat_profile, ear.verifier-id, submods, submods.cpu0,
//                       its ear.status, ear.trustworthiness-vector,
//                       ear.appraisal-policy-id, ear.veraison.annotated-evidence, or
//                       .runtime_data_claims.tee-pubkey absent;
//   kInvalidClaim       one of those with the wrong type or value (another profile, an
//                       unknown status, a vector outside -128..127, a status less severe
//                       than the vector's, a tee-pubkey that is not a valid public JWK).
jose::JoseResult<EarToken> verifyEarToken(std::string_view token, const jose::JwkSet& keys,
                                          std::chrono::system_clock::time_point now,
                                          const EarVerifyOptions& options = {});

// The public JWK of each key, with "kid" = RFC 7638 thumbprint, "alg": "ES256",
// "use": "sig". kInvalidArgument for a key that is not P-256.
Result<jose::JwkSet> earVerificationKeys(std::span<const crypto::Key> keys);
// The JWKS document {"keys": [...]} of those JWKs, served at the well-known path.
Result<json::Json> earJwks(std::span<const crypto::Key> keys);

}  // namespace cocoon::kbs::token
