// SPDX-License-Identifier: Apache-2.0
// JWK parsing and serialization (RFC 7517, RFC 7518 §6, RFC 8037 §2), RFC 7638
// thumbprints and JWK Sets.
#include "crypto/jose/jwk.h"

#include <array>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/jose/internal/codec.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using internal::findMember;
using internal::optionalString;
using internal::requiredString;

constexpr std::string_view kWhere = "JWK";

// Metadata members any JWK may carry (RFC 7517 §4); the X.509 ones and WebCrypto's "ext"
// are accepted and ignored: we never fetch x5u or trust x5c from a JWK.
constexpr std::array<std::string_view, 10> kCommonMembers = {
    "kty", "kid", "alg", "use", "key_ops", "x5u", "x5c", "x5t", "x5t#S256", "ext"};

// kMalformed for a member that is neither common nor a parameter of this key type.
JoseStatus rejectUnknownJwkMembers(const json::Json& object,
                                   std::initializer_list<std::string_view> key_params) {
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (std::string_view allowed : kCommonMembers) {
      known = known || name == allowed;
    }
    for (std::string_view allowed : key_params) {
      known = known || name == allowed;
    }
    if (!known) {
      return joseFail(JoseReason::kMalformed, "JWK: unknown member \"{}\"",
                      std::string_view(name).substr(0, 64));
    }
  }
  return {};
}

struct CurveName {
  std::string_view crv;
  KeyType type;
};
constexpr std::array<CurveName, 3> kEcCurves = {
    {{"P-256", KeyType::kEcP256}, {"P-384", KeyType::kEcP384}, {"P-521", KeyType::kEcP521}}};
constexpr std::array<CurveName, 2> kOkpCurves = {
    {{"Ed25519", KeyType::kEd25519}, {"X25519", KeyType::kX25519}}};

template <std::size_t N>
JoseResult<KeyType> curveType(const std::array<CurveName, N>& curves, std::string_view crv,
                              std::string_view kty) {
  for (const CurveName& c : curves) {
    if (c.crv == crv) {
      return c.type;
    }
  }
  return joseFail(JoseReason::kUnsupportedKey, "JWK: kty \"{}\" curve \"{}\" is not supported", kty,
                  crv.substr(0, 32));
}

// A base64url key parameter: nullopt when absent.
JoseResult<std::optional<Bytes>> optionalParam(const json::Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                          optionalString(object, key, kWhere));
  if (!text) {
    return std::optional<Bytes>();
  }
  COCOON_ASSIGN_OR_RETURN(Bytes value,
                          internal::decodeBase64Url(*text, fmt::format("JWK \"{}\"", key)));
  return std::optional<Bytes>(std::move(value));
}

JoseResult<Bytes> requiredParam(const json::Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> value, optionalParam(object, key));
  if (!value) {
    return joseFail(JoseReason::kMalformed, "JWK: missing \"{}\"", key);
  }
  return std::move(*value);
}

// RFC 7518 §6.2.1.2 / §6.2.2.1 / RFC 8037 §2: coordinates and scalars are full size.
JoseStatus checkFieldSize(ByteSpan value, std::string_view key, KeyType type) {
  if (value.size() != crypto::keyFieldSize(type)) {
    return joseFail(JoseReason::kInvalidKey, "JWK: \"{}\" must be {} bytes for {}, found {}", key,
                    crypto::keyFieldSize(type), crypto::keyTypeName(type), value.size());
  }
  return {};
}

// RFC 7518 §2 Base64urlUInt: the minimum number of octets, so n and e have no leading 0
// (their encoding is what the thumbprint hashes).
JoseStatus checkUInt(const Bytes& value, std::string_view key) {
  if (value.empty() || (value.size() > 1 && value[0] == 0)) {
    return joseFail(JoseReason::kInvalidKey, "JWK: \"{}\" is not a minimal unsigned integer", key);
  }
  return {};
}

JoseResult<Key> keyOrInvalid(Result<Key> key) {
  if (!key) {
    return joseFromError(JoseReason::kInvalidKey, "JWK", key.error());
  }
  return std::move(*key);
}

JoseResult<Key> parseRsa(const json::Json& object) {
  COCOON_TRY(rejectUnknownJwkMembers(object, {"n", "e", "d", "p", "q", "dp", "dq", "qi", "oth"}));
  if (findMember(object, "oth") != nullptr) {
    return joseFail(JoseReason::kUnsupportedKey, "JWK: multi-prime RSA (\"oth\") is not supported");
  }
  crypto::RsaComponents c;
  COCOON_ASSIGN_OR_RETURN(c.n, requiredParam(object, "n"));
  COCOON_ASSIGN_OR_RETURN(c.e, requiredParam(object, "e"));
  COCOON_TRY(checkUInt(c.n, "n"));
  COCOON_TRY(checkUInt(c.e, "e"));
  constexpr std::array<std::string_view, 6> kPrivate = {"d", "p", "q", "dp", "dq", "qi"};
  std::array<std::optional<SecretBytes>*, 6> slots = {&c.d, &c.p, &c.q, &c.dp, &c.dq, &c.qi};
  std::size_t present = 0;
  for (std::size_t i = 0; i < kPrivate.size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> value, optionalParam(object, kPrivate[i]));
    if (value) {
      *slots[i] = SecretBytes(std::move(*value));
      ++present;
    }
  }
  if (present == 1 && c.d) {
    return joseFail(JoseReason::kUnsupportedKey,
                    "JWK: RSA private key without p, q, dp, dq, qi is not supported");
  }
  if (present != 0 && present != kPrivate.size()) {
    return joseFail(JoseReason::kInvalidKey, "JWK: RSA private key has {} of the 6 private members",
                    present);
  }
  return keyOrInvalid(Key::fromRsa(c));
}

JoseResult<Key> parseEc(const json::Json& object) {
  COCOON_TRY(rejectUnknownJwkMembers(object, {"crv", "x", "y", "d"}));
  COCOON_ASSIGN_OR_RETURN(std::string_view crv, requiredString(object, "crv", kWhere));
  COCOON_ASSIGN_OR_RETURN(KeyType type, curveType(kEcCurves, crv, "EC"));
  COCOON_ASSIGN_OR_RETURN(Bytes x, requiredParam(object, "x"));
  COCOON_ASSIGN_OR_RETURN(Bytes y, requiredParam(object, "y"));
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> d, optionalParam(object, "d"));
  COCOON_TRY(checkFieldSize(x, "x", type));
  COCOON_TRY(checkFieldSize(y, "y", type));
  if (!d) {
    return keyOrInvalid(Key::fromEc(type, x, y));
  }
  SecretBytes secret(std::move(*d));
  COCOON_TRY(checkFieldSize(secret.span(), "d", type));
  return keyOrInvalid(Key::fromEc(type, x, y, secret.span()));
}

JoseResult<Key> parseOkp(const json::Json& object) {
  COCOON_TRY(rejectUnknownJwkMembers(object, {"crv", "x", "d"}));
  COCOON_ASSIGN_OR_RETURN(std::string_view crv, requiredString(object, "crv", kWhere));
  COCOON_ASSIGN_OR_RETURN(KeyType type, curveType(kOkpCurves, crv, "OKP"));
  COCOON_ASSIGN_OR_RETURN(Bytes x, requiredParam(object, "x"));
  COCOON_TRY(checkFieldSize(x, "x", type));
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> d, optionalParam(object, "d"));
  if (!d) {
    return keyOrInvalid(Key::fromOkp(type, x));
  }
  SecretBytes secret(std::move(*d));
  COCOON_TRY(checkFieldSize(secret.span(), "d", type));
  return keyOrInvalid(Key::fromOkp(type, x, secret.span()));
}

// The members of Jwk other than the key, parsed before the key (they are cheap to check).
struct Metadata {
  std::optional<std::string> kid, alg, use;
  std::vector<std::string> key_ops;
};

JoseStatus parseMetadata(const json::Json& object, Metadata& jwk) {
  for (auto [key, slot] :
       {std::pair{"kid", &jwk.kid}, std::pair{"alg", &jwk.alg}, std::pair{"use", &jwk.use}}) {
    COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> value,
                            optionalString(object, key, kWhere));
    if (value) {
      *slot = std::string(*value);
    }
  }
  const json::Json* ops = findMember(object, "key_ops");
  if (ops == nullptr) {
    return {};
  }
  if (!ops->is_array()) {
    return joseFail(JoseReason::kMalformed, "JWK: \"key_ops\" must be an array");
  }
  for (const json::Json& op : *ops) {
    if (!op.is_string()) {
      return joseFail(JoseReason::kMalformed, "JWK: \"key_ops\" must hold strings");
    }
    const auto& name = op.get_ref<const std::string&>();
    for (const std::string& seen : jwk.key_ops) {
      if (seen == name) {  // RFC 7517 §4.3: duplicate key operation values MUST NOT be present
        return joseFail(JoseReason::kMalformed, "JWK: \"key_ops\" repeats \"{}\"",
                        std::string_view(name).substr(0, 32));
      }
    }
    jwk.key_ops.push_back(name);
  }
  return {};
}

std::string b64(ByteSpan bytes) {
  return base64UrlEncode(bytes);
}

// The required public members of RFC 7638 §3.2 / RFC 8037 §2.
json::Json publicMembers(const Key& key) {
  json::Json out = json::Json::object();
  const KeyType type = key.type();
  if (type == KeyType::kRsa) {
    auto c = key.rsaComponents();
    out["kty"] = "RSA";
    if (c) {
      out["n"] = b64(c->n);
      out["e"] = b64(c->e);
    }
  } else if (type == KeyType::kEd25519 || type == KeyType::kX25519) {
    out["kty"] = "OKP";
    out["crv"] = std::string(crypto::keyTypeName(type));
    if (auto okp = key.okpKey()) {
      out["x"] = b64(okp->x);
    }
  } else {
    out["kty"] = "EC";
    out["crv"] = std::string(crypto::keyTypeName(type));
    if (auto point = key.ecPoint()) {
      out["x"] = b64(point->x);
      out["y"] = b64(point->y);
    }
  }
  return out;
}

JoseStatus addPrivateMembers(const Key& key, json::Json& out) {
  if (!key.hasPrivate()) {
    return joseFail(JoseReason::kInvalidArgument, "JWK: the key has no private part to export");
  }
  if (key.type() == KeyType::kRsa) {
    auto c = key.rsaComponents();
    if (!c || !c->d || !c->p || !c->q || !c->dp || !c->dq || !c->qi) {
      return joseFail(JoseReason::kInvalidArgument, "JWK: RSA private components unavailable");
    }
    out["d"] = b64(c->d->span());
    out["p"] = b64(c->p->span());
    out["q"] = b64(c->q->span());
    out["dp"] = b64(c->dp->span());
    out["dq"] = b64(c->dq->span());
    out["qi"] = b64(c->qi->span());
    return {};
  }
  std::optional<SecretBytes> d;
  if (key.type() == KeyType::kEd25519 || key.type() == KeyType::kX25519) {
    auto okp = key.okpKey();
    d = okp ? std::move(okp->d) : std::nullopt;
  } else {
    auto point = key.ecPoint();
    d = point ? std::move(point->d) : std::nullopt;
  }
  if (!d) {
    return joseFail(JoseReason::kInvalidArgument, "JWK: private scalar unavailable");
  }
  out["d"] = b64(d->span());
  return {};
}

}  // namespace

JoseResult<Jwk> jwkFromJson(const json::Json& object) {
  if (!object.is_object()) {
    return joseFail(JoseReason::kMalformed, "JWK: expected a JSON object, found {}",
                    internal::jsonTypeName(object));
  }
  COCOON_ASSIGN_OR_RETURN(std::string_view kty, requiredString(object, "kty", kWhere));
  Metadata metadata;
  COCOON_TRY(parseMetadata(object, metadata));
  JoseResult<Key> key =
      joseFail(JoseReason::kUnsupportedKey, "JWK: kty \"{}\" is not supported", kty.substr(0, 32));
  if (kty == "RSA") {
    key = parseRsa(object);
  } else if (kty == "EC") {
    key = parseEc(object);
  } else if (kty == "OKP") {
    key = parseOkp(object);
  }
  if (!key) {
    return tl::unexpected(std::move(key).error());
  }
  return Jwk{std::move(*key), std::move(metadata.kid), std::move(metadata.alg),
             std::move(metadata.use), std::move(metadata.key_ops)};
}

JoseResult<Jwk> parseJwk(std::string_view text, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(
      json::Json object,
      internal::parseJoseJson(text, kWhere, limits.max_header_bytes, limits.max_json_depth));
  return jwkFromJson(object);
}

JoseResult<json::Json> jwkToJson(const Jwk& jwk, JwkExport what) {
  json::Json out = publicMembers(jwk.key);
  if (what == JwkExport::kPrivate) {
    COCOON_TRY(addPrivateMembers(jwk.key, out));
  }
  if (jwk.kid) {
    out["kid"] = *jwk.kid;
  }
  if (jwk.alg) {
    out["alg"] = *jwk.alg;
  }
  if (jwk.use) {
    out["use"] = *jwk.use;
  }
  if (!jwk.key_ops.empty()) {
    out["key_ops"] = jwk.key_ops;
  }
  return out;
}

JoseResult<std::string> serializeJwk(const Jwk& jwk, JwkExport what) {
  COCOON_ASSIGN_OR_RETURN(json::Json out, jwkToJson(jwk, what));
  return json::dumpCompact(out);
}

Bytes jwkThumbprint(const Key& key) {
  // Every member is an ASCII string, so compact output with sorted keys (nlohmann's
  // std::map order) is exactly RFC 7638 §3.3's form.
  return crypto::sha256(asBytes(json::dumpCompact(publicMembers(key))));
}

std::string jwkThumbprintBase64Url(const Key& key) {
  return b64(jwkThumbprint(key));
}

JoseResult<JwkSet> parseJwkSet(std::string_view text, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(
      json::Json set,
      internal::parseJoseJson(text, "JWK Set", limits.max_input_bytes, limits.max_json_depth));
  if (!set.is_object()) {
    return joseFail(JoseReason::kMalformed, "JWK Set: expected a JSON object");
  }
  COCOON_TRY(internal::rejectUnknownMembers(set, {"keys"}, "JWK Set"));
  const json::Json* keys = findMember(set, "keys");
  if (keys == nullptr || !keys->is_array()) {
    return joseFail(JoseReason::kMalformed, "JWK Set: \"keys\" must be an array");
  }
  if (keys->size() > limits.max_keys) {
    return joseFail(JoseReason::kTooLarge, "JWK Set: {} keys exceed the limit of {}", keys->size(),
                    limits.max_keys);
  }
  JwkSet result;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    auto jwk = jwkFromJson((*keys)[i]);
    if (jwk) {
      result.keys.push_back(std::move(*jwk));
    } else if (jwk.error().reason != JoseReason::kUnsupportedKey) {
      return joseFail(jwk.error().reason, "JWK Set key {}: {}", i, jwk.error().message);
    }
  }
  return result;
}

}  // namespace cocoon::jose
