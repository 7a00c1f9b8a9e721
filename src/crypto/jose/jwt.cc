// SPDX-License-Identifier: Apache-2.0
// JWT claim checks (RFC 7519 §4.1) on top of JWS verification, and JWT signing.
#include "crypto/jose/jwt.h"

#include <cmath>

#include "crypto/jose/internal/codec.h"

namespace cocoon::jose {
namespace {

using internal::findMember;

// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly fractional.
JoseResult<std::optional<double>> numericDate(const json::Json& claims, std::string_view name) {
  const json::Json* value = findMember(claims, name);
  if (value == nullptr) {
    return std::optional<double>();
  }
  if (!value->is_number() || !std::isfinite(value->get<double>())) {
    return joseFail(JoseReason::kInvalidClaim, "JWT claim \"{}\" must be a number, found {}", name,
                    internal::jsonTypeName(*value));
  }
  return std::optional<double>(value->get<double>());
}

JoseStatus checkTimes(const json::Json& claims, const JwtVerifyOptions& options, double now) {
  COCOON_ASSIGN_OR_RETURN(std::optional<double> exp, numericDate(claims, "exp"));
  COCOON_ASSIGN_OR_RETURN(std::optional<double> nbf, numericDate(claims, "nbf"));
  COCOON_ASSIGN_OR_RETURN(std::optional<double> iat, numericDate(claims, "iat"));
  (void)iat;  // only its type is checked: RFC 7519 §4.1.6 gives it no validity rule
  const auto leeway = static_cast<double>(options.leeway_seconds);
  if (!exp && options.require_exp) {
    return joseFail(JoseReason::kMissingClaim, "JWT has no \"exp\" claim");
  }
  // RFC 7519 §4.1.4: the current time MUST be before exp.
  if (exp && now >= *exp + leeway) {
    return joseFail(JoseReason::kExpired, "JWT expired at {} (now {}, leeway {} s)", *exp, now,
                    options.leeway_seconds);
  }
  // RFC 7519 §4.1.5: the current time MUST be after or equal to nbf.
  if (nbf && now + leeway < *nbf) {
    return joseFail(JoseReason::kNotYetValid, "JWT not valid before {} (now {}, leeway {} s)", *nbf,
                    now, options.leeway_seconds);
  }
  return {};
}

JoseStatus checkIssuer(const json::Json& claims, const JwtVerifyOptions& options) {
  auto iss = internal::optionalString(claims, "iss", "JWT claims");
  if (!iss) {
    return joseFail(JoseReason::kInvalidClaim, "{}", iss.error().message);
  }
  if (!options.issuer) {
    return {};
  }
  if (!*iss) {
    return joseFail(JoseReason::kMissingClaim, "JWT has no \"iss\" claim");
  }
  if (**iss != *options.issuer) {
    return joseFail(JoseReason::kWrongIssuer, "JWT issuer \"{}\" is not the expected \"{}\"",
                    (*iss)->substr(0, 128), *options.issuer);
  }
  return {};
}

// RFC 7519 §4.1.3: "aud" is a string or an array of strings.
JoseStatus checkAudience(const json::Json& claims, const JwtVerifyOptions& options) {
  const json::Json* aud = findMember(claims, "aud");
  if (aud == nullptr) {
    if (options.audience) {
      return joseFail(JoseReason::kMissingClaim, "JWT has no \"aud\" claim");
    }
    return {};
  }
  bool found = false;
  if (aud->is_string()) {
    found = options.audience && aud->get_ref<const std::string&>() == *options.audience;
  } else if (aud->is_array()) {
    for (const json::Json& entry : *aud) {
      if (!entry.is_string()) {
        return joseFail(JoseReason::kInvalidClaim, "JWT claim \"aud\" holds a {}, not a string",
                        internal::jsonTypeName(entry));
      }
      found =
          found || (options.audience && entry.get_ref<const std::string&>() == *options.audience);
    }
  } else {
    return joseFail(JoseReason::kInvalidClaim,
                    "JWT claim \"aud\" must be a string or an array of strings, found {}",
                    internal::jsonTypeName(*aud));
  }
  if (!options.audience) {
    return joseFail(JoseReason::kWrongAudience,
                    "JWT has an \"aud\" claim but no audience is expected");
  }
  if (!found) {
    return joseFail(JoseReason::kWrongAudience, "JWT audience does not include \"{}\"",
                    *options.audience);
  }
  return {};
}

template <class Keys>
JoseResult<VerifiedJwt> verifyJwtWith(std::string_view token, const Keys& keys,
                                      const JwtVerifyOptions& options,
                                      std::chrono::system_clock::time_point now,
                                      const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(
      VerifiedJws jws,
      verifyJwsCompact(token, keys, JwsVerifyOptions{options.allowed_algorithms}, limits));
  if (jws.header.cty && *jws.header.cty == "JWT") {
    return joseFail(JoseReason::kUnsupportedFeature, "nested JWTs (cty \"JWT\") are not supported");
  }
  COCOON_ASSIGN_OR_RETURN(json::Json claims,
                          internal::parseJoseJson(toString(jws.payload), "JWT claims",
                                                  limits.max_input_bytes, limits.max_json_depth));
  if (!claims.is_object()) {
    return joseFail(JoseReason::kMalformed, "JWT claims: expected a JSON object, found {}",
                    internal::jsonTypeName(claims));
  }
  COCOON_TRY(checkJwtClaims(claims, options, now));
  return VerifiedJwt{std::move(jws.header), std::move(claims)};
}

}  // namespace

JoseStatus checkJwtClaims(const json::Json& claims, const JwtVerifyOptions& options,
                          std::chrono::system_clock::time_point now) {
  if (!claims.is_object()) {
    return joseFail(JoseReason::kMalformed, "JWT claims: expected a JSON object");
  }
  const double now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  COCOON_TRY(checkTimes(claims, options, now_seconds));
  COCOON_TRY(checkIssuer(claims, options));
  COCOON_TRY(checkAudience(claims, options));
  for (const std::string& name : options.required_claims) {
    if (findMember(claims, name) == nullptr) {
      return joseFail(JoseReason::kMissingClaim, "JWT has no \"{}\" claim", name);
    }
  }
  return {};
}

JoseResult<VerifiedJwt> verifyJwt(std::string_view token, const crypto::Key& key,
                                  const JwtVerifyOptions& options,
                                  std::chrono::system_clock::time_point now,
                                  const JoseLimits& limits) {
  return verifyJwtWith(token, key, options, now, limits);
}

JoseResult<VerifiedJwt> verifyJwt(std::string_view token, const JwkSet& keys,
                                  const JwtVerifyOptions& options,
                                  std::chrono::system_clock::time_point now,
                                  const JoseLimits& limits) {
  return verifyJwtWith(token, keys, options, now, limits);
}

JoseResult<std::string> signJwt(const json::Json& claims, const JwsSigner& signer) {
  if (!claims.is_object()) {
    return joseFail(JoseReason::kInvalidArgument, "JWT claims must be a JSON object");
  }
  JwsSigner with_typ = signer;
  if (with_typ.protected_params.is_object() && !with_typ.protected_params.contains("typ")) {
    with_typ.protected_params["typ"] = "JWT";
  }
  return signJwsCompact(asBytes(json::dumpCompact(claims)), with_typ);
}

}  // namespace cocoon::jose
