// SPDX-License-Identifier: Apache-2.0
// JWS verification against an allow-list and a key or key set, and signing (RFC 7515 §5).
#include "crypto/jose/jws.h"

#include <algorithm>

#include "common/encoding.h"
#include "crypto/signature.h"

namespace cocoon::jose {
namespace {

std::string signingInput(std::string_view protected_b64, std::string_view payload_b64) {
  std::string input;
  input.reserve(protected_b64.size() + 1 + payload_b64.size());
  input.append(protected_b64).append(".").append(payload_b64);
  return input;
}

// Steps 1-3 of checking one signature: a supported alg, allowed by the caller.
JoseResult<JwsAlgorithm> allowedAlgorithm(const JoseHeader& header,
                                          const JwsVerifyOptions& options) {
  COCOON_ASSIGN_OR_RETURN(JwsAlgorithm alg, parseJwsAlgorithm(header.alg));
  if (std::find(options.allowed_algorithms.begin(), options.allowed_algorithms.end(), alg) ==
      options.allowed_algorithms.end()) {
    return joseFail(JoseReason::kAlgorithmNotAllowed, "JWS alg {} is not in the allow-list",
                    jwsAlgorithmName(alg));
  }
  return alg;
}

JoseStatus verifyWithKey(const ParsedJws& jws, const JwsSignatureEntry& entry, JwsAlgorithm alg,
                         const crypto::Key& key) {
  if (!jwsAlgorithmFitsKey(alg, key.type())) {
    return joseFail(JoseReason::kKeyMismatch, "JWS alg {} cannot be used with a {} key",
                    jwsAlgorithmName(alg), crypto::keyTypeName(key.type()));
  }
  const std::string input = signingInput(entry.protected_b64, jws.payload_b64);
  auto verified = crypto::verify(key, jwsSignatureScheme(alg), asBytes(input), entry.signature,
                                 crypto::EcdsaEncoding::kRaw);
  if (!verified) {
    if (verified.error().code == Code::kUnauthenticated) {
      return joseFail(JoseReason::kBadSignature, "JWS {} signature does not verify",
                      jwsAlgorithmName(alg));
    }
    return joseFromError(JoseReason::kKeyMismatch, "JWS verification", verified.error());
  }
  return {};
}

bool usableForVerification(const Jwk& jwk, const JoseHeader& header, JwsAlgorithm alg) {
  if (jwk.alg && *jwk.alg != header.alg) {
    return false;
  }
  if (jwk.use && *jwk.use != "sig") {
    return false;
  }
  if (!jwk.key_ops.empty() &&
      std::find(jwk.key_ops.begin(), jwk.key_ops.end(), "verify") == jwk.key_ops.end()) {
    return false;
  }
  return jwsAlgorithmFitsKey(alg, jwk.key.type());
}

JoseStatus verifyWithSet(const ParsedJws& jws, const JwsSignatureEntry& entry, JwsAlgorithm alg,
                         const JwkSet& keys) {
  bool kid_matched = false;
  bool any_usable = false;
  for (const Jwk& jwk : keys.keys) {
    if (entry.header.kid && jwk.kid != entry.header.kid) {
      continue;
    }
    kid_matched = true;
    if (!usableForVerification(jwk, entry.header, alg)) {
      continue;
    }
    any_usable = true;
    if (verifyWithKey(jws, entry, alg, jwk.key)) {
      return {};
    }
  }
  if (!kid_matched) {
    return joseFail(JoseReason::kKeyNotFound, "JWS: no key with kid \"{}\"",
                    std::string_view(*entry.header.kid).substr(0, 64));
  }
  if (!any_usable) {
    return joseFail(JoseReason::kKeyMismatch, "JWS: no key in the set may verify alg {}",
                    jwsAlgorithmName(alg));
  }
  return joseFail(JoseReason::kBadSignature, "JWS {} signature does not verify with any key",
                  jwsAlgorithmName(alg));
}

// Tries every signature with `check`; the first success wins, else the first error.
template <class Check>
JoseResult<VerifiedJws> verifyEach(const ParsedJws& jws, const JwsVerifyOptions& options,
                                   Check check) {
  std::optional<JoseError> first_error;
  for (std::size_t i = 0; i < jws.signatures.size(); ++i) {
    const JwsSignatureEntry& entry = jws.signatures[i];
    JoseStatus status = [&]() -> JoseStatus {
      COCOON_ASSIGN_OR_RETURN(JwsAlgorithm alg, allowedAlgorithm(entry.header, options));
      return check(entry, alg);
    }();
    if (status) {
      return VerifiedJws{jws.payload, entry.header, i};
    }
    if (!first_error) {
      first_error = std::move(status).error();
    }
  }
  if (!first_error) {
    return joseFail(JoseReason::kMalformed, "JWS has no signature");
  }
  return tl::unexpected(std::move(*first_error));
}

tl::unexpected<JoseError> invalidSigner(std::string_view why) {
  return joseFail(JoseReason::kInvalidArgument, "JWS signer: {}", why);
}

// The protected header JSON for `signer`, checked the way a verifier would check it.
JoseResult<std::string> protectedHeaderFor(const JwsSigner& signer) {
  if (!signer.protected_params.is_object()) {
    return invalidSigner("protected_params must be an object");
  }
  json::Json header = signer.protected_params;
  const std::string alg(jwsAlgorithmName(signer.alg));
  if (auto it = header.find("alg"); it != header.end() && *it != alg) {
    return invalidSigner("protected_params holds another \"alg\"");
  }
  header["alg"] = alg;
  HeaderParts parts;
  parts.protected_header = &header;
  parts.per_entry = signer.unprotected.is_null() ? nullptr : &signer.unprotected;
  if (auto built = buildJoseHeader(parts, HeaderUse::kJws); !built) {
    return joseFail(JoseReason::kInvalidArgument, "JWS signer: {}", built.error().message);
  }
  if (!signer.key.hasPrivate()) {
    return invalidSigner("the key has no private part");
  }
  if (!jwsAlgorithmFitsKey(signer.alg, signer.key.type())) {
    return joseFail(JoseReason::kInvalidArgument, "JWS signer: alg {} cannot use a {} key", alg,
                    crypto::keyTypeName(signer.key.type()));
  }
  return base64UrlEncode(asBytes(json::dumpCompact(header)));
}

JoseResult<std::string> signInput(const JwsSigner& signer, std::string_view protected_b64,
                                  std::string_view payload_b64) {
  const std::string input = signingInput(protected_b64, payload_b64);
  auto signature = crypto::sign(signer.key, jwsSignatureScheme(signer.alg), asBytes(input),
                                crypto::EcdsaEncoding::kRaw);
  if (!signature) {
    return joseFromError(JoseReason::kInvalidArgument, "JWS signing", signature.error());
  }
  return base64UrlEncode(*signature);
}

template <class Keys>
JoseResult<VerifiedJws> parseThenVerify(JoseResult<ParsedJws> parsed, const Keys& keys,
                                        const JwsVerifyOptions& options) {
  if (!parsed) {
    return tl::unexpected(std::move(parsed).error());
  }
  return verifyJws(*parsed, keys, options);
}

}  // namespace

JoseResult<VerifiedJws> verifyJws(const ParsedJws& jws, const crypto::Key& key,
                                  const JwsVerifyOptions& options) {
  return verifyEach(jws, options, [&](const JwsSignatureEntry& entry, JwsAlgorithm alg) {
    return verifyWithKey(jws, entry, alg, key);
  });
}

JoseResult<VerifiedJws> verifyJws(const ParsedJws& jws, const JwkSet& keys,
                                  const JwsVerifyOptions& options) {
  return verifyEach(jws, options, [&](const JwsSignatureEntry& entry, JwsAlgorithm alg) {
    return verifyWithSet(jws, entry, alg, keys);
  });
}

JoseResult<VerifiedJws> verifyJwsCompact(std::string_view token, const crypto::Key& key,
                                         const JwsVerifyOptions& options,
                                         const JoseLimits& limits) {
  return parseThenVerify(parseJwsCompact(token, limits), key, options);
}

JoseResult<VerifiedJws> verifyJwsCompact(std::string_view token, const JwkSet& keys,
                                         const JwsVerifyOptions& options,
                                         const JoseLimits& limits) {
  return parseThenVerify(parseJwsCompact(token, limits), keys, options);
}

JoseResult<VerifiedJws> verifyJwsJson(std::string_view text, const crypto::Key& key,
                                      const JwsVerifyOptions& options, const JoseLimits& limits) {
  return parseThenVerify(parseJwsJson(text, limits), key, options);
}

JoseResult<VerifiedJws> verifyJwsJson(std::string_view text, const JwkSet& keys,
                                      const JwsVerifyOptions& options, const JoseLimits& limits) {
  return parseThenVerify(parseJwsJson(text, limits), keys, options);
}

JoseResult<std::string> signJwsCompact(ByteSpan payload, const JwsSigner& signer) {
  if (!signer.unprotected.is_null()) {
    return joseFail(JoseReason::kInvalidArgument,
                    "JWS signer: the compact serialization has no unprotected header");
  }
  COCOON_ASSIGN_OR_RETURN(std::string protected_b64, protectedHeaderFor(signer));
  const std::string payload_b64 = base64UrlEncode(payload);
  COCOON_ASSIGN_OR_RETURN(std::string signature, signInput(signer, protected_b64, payload_b64));
  return signingInput(protected_b64, payload_b64) + "." + signature;
}

JoseResult<std::string> signJwsJson(ByteSpan payload, std::span<const JwsSigner> signers,
                                    JwsJsonForm form) {
  if (signers.empty() || (form == JwsJsonForm::kFlattened && signers.size() != 1)) {
    return joseFail(JoseReason::kInvalidArgument,
                    "JWS JSON: {} signers (flattened needs one, general at least one)",
                    signers.size());
  }
  const std::string payload_b64 = base64UrlEncode(payload);
  json::Json entries = json::Json::array();
  for (const JwsSigner& signer : signers) {
    COCOON_ASSIGN_OR_RETURN(std::string protected_b64, protectedHeaderFor(signer));
    COCOON_ASSIGN_OR_RETURN(std::string signature, signInput(signer, protected_b64, payload_b64));
    json::Json entry = {{"protected", protected_b64}, {"signature", signature}};
    if (!signer.unprotected.is_null()) {
      entry["header"] = signer.unprotected;
    }
    entries.push_back(std::move(entry));
  }
  json::Json out;
  if (form == JwsJsonForm::kFlattened) {
    out = std::move(entries[0]);
  } else {
    out["signatures"] = std::move(entries);
  }
  out["payload"] = payload_b64;
  return json::dumpCompact(out);
}

}  // namespace cocoon::jose
