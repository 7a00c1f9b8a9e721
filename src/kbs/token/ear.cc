// SPDX-License-Identifier: Apache-2.0
// EAR token issuance (trustee's ear_broker claim set) and verification.
#include "kbs/token/ear.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "common/encoding.h"
#include "crypto/jose/algorithms.h"
#include "crypto/jose/jwt.h"
#include "crypto/signature.h"
#include "kbs/token/internal/json_writer.h"

namespace cocoon::kbs::token {
namespace {

using jose::JoseReason;
using json::Json;

constexpr std::string_view kStatus = "ear.status";
constexpr std::string_view kVector = "ear.trustworthiness-vector";
constexpr std::string_view kPolicyId = "ear.appraisal-policy-id";
constexpr std::string_view kAnnotated = "ear.veraison.annotated-evidence";
constexpr std::string_view kTeePubkey = "tee-pubkey";

std::int64_t unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Result<Json> signingJwk(const crypto::Key& key) {
  if (key.type() != crypto::KeyType::kEcP256) {
    return fail(Code::kInvalidArgument, "EAR signing key: expected P-256, found {}",
                crypto::keyTypeName(key.type()));
  }
  jose::Jwk jwk{key.publicKey(), jose::jwkThumbprintBase64Url(key), "ES256", "sig", {}};
  COCOON_ASSIGN_OR_RETURN(Json out, jose::jwkToJson(jwk));
  return out;
}

// The trust vector's set components, in dumpCompact's (sorted) member order.
void writeVector(internal::JsonWriter& w, const policy::TrustVector& vector) {
  static const auto kSorted = [] {
    std::array<policy::TrustComponent, policy::kTrustComponentCount> order{};
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = static_cast<policy::TrustComponent>(i);
    }
    std::sort(order.begin(), order.end(), [](auto a, auto b) {
      return policy::trustComponentName(a) < policy::trustComponentName(b);
    });
    return order;
  }();
  w.beginObject();
  for (policy::TrustComponent component : kSorted) {
    if (auto value = vector.get(component)) {
      w.key(policy::trustComponentName(component)).integer(*value);
    }
  }
  w.endObject();
}

// trustee's transform_claims: report_data / init_data travel next to the claims derived
// from them; everything else the verifier said sits under the TEE's name. Members go in
// sorted order, as dumpCompact of the same object writes them.
void writeAnnotatedEvidence(internal::JsonWriter& w, const EarAppraisal& appraisal) {
  const Json& tee_claims = appraisal.tee_claims;
  const auto init_data = tee_claims.find("init_data");
  const auto report_data = tee_claims.find("report_data");
  const std::string_view tee = kbs_protocol::teeName(appraisal.tee);
  enum class Member : std::uint8_t { kInitData, kInitDataClaims, kReportData, kRuntime, kTee };
  std::array<std::pair<std::string_view, Member>, 5> members;
  std::size_t count = 0;
  if (init_data != tee_claims.end()) {
    members[count++] = {"init_data", Member::kInitData};
    members[count++] = {"init_data_claims", Member::kInitDataClaims};
  }
  if (report_data != tee_claims.end()) {
    members[count++] = {"report_data", Member::kReportData};
  }
  // Unlike trustee we always carry the runtime data: the KBS needs its tee-pubkey.
  members[count++] = {"runtime_data_claims", Member::kRuntime};
  members[count++] = {tee, Member::kTee};
  std::sort(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(count));
  w.beginObject();
  for (std::size_t i = 0; i < count; ++i) {
    w.key(members[i].first);
    switch (members[i].second) {
      case Member::kInitData:
        w.value(*init_data);
        break;
      case Member::kInitDataClaims:
        w.value(appraisal.init_data_claims);
        break;
      case Member::kReportData:
        w.value(*report_data);
        break;
      case Member::kRuntime:
        w.value(appraisal.runtime_data_claims);
        break;
      case Member::kTee:
        w.beginObject();
        for (const auto& [name, value] : tee_claims.get_ref<const Json::object_t&>()) {
          if (name != "init_data" && name != "report_data") {
            w.key(name).value(value);
          }
        }
        w.endObject();
        break;
    }
  }
  w.endObject();
}

// The claims set, written as dumpCompact writes the equivalent json::Json (sorted
// members), so tokens keep their bytes: {"ear.verifier-id":{"build","developer"},
// "eat_profile","exp","iat","submods":{"cpu0":{...}}}.
std::string earClaims(const EarIssuerConfig& cfg, const EarAppraisal& appraisal, std::int64_t iat) {
  std::string out;
  out.reserve(1536);
  internal::JsonWriter w(out);
  w.beginObject();
  w.key("ear.verifier-id").beginObject();
  w.key("build").string(cfg.build).key("developer").string(cfg.developer).endObject();
  w.key("eat_profile").string(cfg.profile);
  w.key("exp").integer(iat + cfg.validity.count());
  w.key("iat").integer(iat);
  w.key("submods").beginObject().key(kSubmod).beginObject();
  if (appraisal.development_only) {
    w.key(kDevelopmentOnlyClaim).boolean(true);
  }
  w.key(kPolicyId).string(appraisal.decision.policy_id);
  w.key(kStatus).string(policy::trustTierName(appraisal.decision.vector.status()));
  w.key(kVector);
  writeVector(w, appraisal.decision.vector);
  w.key(kAnnotated);
  writeAnnotatedEvidence(w, appraisal);
  w.endObject().endObject().endObject();
  return out;
}

// A member of `object` that must be there with the type `check` accepts.
template <typename Check>
jose::JoseResult<const Json*> member(const Json& object, std::string_view key,
                                     std::string_view where, std::string_view type, Check check) {
  auto it = object.find(key);
  if (it == object.end()) {
    return jose::joseFail(JoseReason::kMissingClaim, "EAR: {}{} missing", where, key);
  }
  if (!check(*it)) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: {}{} must be {}, found {}", where, key,
                          type, it->type_name());
  }
  return &*it;
}

bool isObject(const Json& v) {
  return v.is_object();
}
bool isString(const Json& v) {
  return v.is_string();
}
bool isInteger(const Json& v) {
  return v.is_number_integer();
}

// The fields of EarToken read from submods.cpu0 (EarToken itself needs its key at
// construction).
struct Appraisal {
  policy::TrustTier status = policy::TrustTier::kNone;
  policy::TrustVector vector;
  std::string policy_id;
  json::Json annotated_evidence;
  std::optional<jose::Jwk> tee_pubkey;
  bool development_only = false;
};

jose::JoseStatus readAppraisal(const Json& submod, Appraisal& out) {
  constexpr std::string_view kWhere = "submods.cpu0.";
  COCOON_ASSIGN_OR_RETURN(const Json* status,
                          member(submod, kStatus, kWhere, "a string", isString));
  auto tier = policy::parseTrustTier(status->get_ref<const std::string&>());
  if (!tier) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: {}{} \"{}\" is not an AR4SI tier",
                          kWhere, kStatus, status->get<std::string>().substr(0, 32));
  }
  out.status = *tier;
  COCOON_ASSIGN_OR_RETURN(const Json* vector,
                          member(submod, kVector, kWhere, "an object", isObject));
  auto parsed = policy::TrustVector::fromJson(*vector);
  if (!parsed) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: {}{}", kWhere, parsed.error().message);
  }
  out.vector = *parsed;
  if (out.status < out.vector.status()) {
    return jose::joseFail(JoseReason::kInvalidClaim,
                          "EAR: {}{} \"{}\" is less severe than its vector's \"{}\"", kWhere,
                          kStatus, policy::trustTierName(out.status),
                          policy::trustTierName(out.vector.status()));
  }
  COCOON_ASSIGN_OR_RETURN(const Json* policy_id,
                          member(submod, kPolicyId, kWhere, "a string", isString));
  out.policy_id = policy_id->get<std::string>();
  COCOON_ASSIGN_OR_RETURN(const Json* annotated,
                          member(submod, kAnnotated, kWhere, "an object", isObject));
  out.annotated_evidence = *annotated;
  COCOON_ASSIGN_OR_RETURN(
      const Json* runtime,
      member(*annotated, "runtime_data_claims", "submods.cpu0.ear.veraison.annotated-evidence.",
             "an object", isObject));
  COCOON_ASSIGN_OR_RETURN(
      const Json* pubkey,
      member(*runtime, kTeePubkey, "...runtime_data_claims.", "an object", isObject));
  auto jwk = jose::jwkFromJson(*pubkey);
  if (!jwk) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: tee-pubkey: {}", jwk.error().message);
  }
  if (jwk->key.hasPrivate()) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: tee-pubkey holds a private key");
  }
  out.tee_pubkey = std::move(*jwk);
  if (auto it = submod.find(kDevelopmentOnlyClaim); it != submod.end()) {
    if (!it->is_boolean()) {
      return jose::joseFail(JoseReason::kInvalidClaim, "EAR: {}{} must be a boolean, found {}",
                            kWhere, kDevelopmentOnlyClaim, it->type_name());
    }
    out.development_only = it->get<bool>();
  }
  return {};
}

}  // namespace

EarSigner::EarSigner(crypto::Key key, EarIssuerConfig config, std::string kid)
    : key_(std::move(key)), config_(std::move(config)), kid_(std::move(kid)) {}

Result<EarSigner> EarSigner::create(crypto::Key key, EarIssuerConfig config) {
  if (key.type() != crypto::KeyType::kEcP256 || !key.hasPrivate()) {
    return fail(Code::kInvalidArgument,
                "EAR signing key: expected a private P-256 key, found {} {}",
                key.hasPrivate() ? "private" : "public", crypto::keyTypeName(key.type()));
  }
  if (config.validity.count() <= 0) {
    return fail(Code::kInvalidArgument, "EAR token validity: expected > 0 s, found {} s",
                config.validity.count());
  }
  std::string kid = jose::jwkThumbprintBase64Url(key);
  COCOON_ASSIGN_OR_RETURN(Json jwk, signingJwk(key));
  // The protected header is the same in every token: jose builds it once here (from a JWT
  // over no claims) and each token reuses its encoding, which spares the header's JSON
  // copies, checks and base64 per token.
  jose::JwsSigner jws{key, jose::JwsAlgorithm::kEs256, Json{{"jwk", jwk}, {"kid", kid}}};
  COCOON_ASSIGN_OR_RETURN(std::string empty_jwt, jose::signJwt(Json::object(), jws));
  EarSigner signer(std::move(key), std::move(config), std::move(kid));
  signer.public_jwk_ = std::move(jwk);
  signer.protected_b64_ = empty_jwt.substr(0, empty_jwt.find('.'));
  return signer;
}

Result<std::string> issueEarToken(const EarSigner& signer, const EarAppraisal& appraisal,
                                  std::chrono::system_clock::time_point now) {
  if (!appraisal.decision.allow) {
    return fail(Code::kFailedPrecondition, "EAR token: the attestation was denied ({})",
                appraisal.decision.explanation);
  }
  if (!appraisal.tee_claims.is_object()) {
    return fail(Code::kInvalidArgument, "EAR token: TEE claims must be an object, found {}",
                appraisal.tee_claims.type_name());
  }
  const auto pubkey = appraisal.runtime_data_claims.find(kTeePubkey);
  if (!appraisal.runtime_data_claims.is_object() || pubkey == appraisal.runtime_data_claims.end() ||
      !pubkey->is_object()) {
    return fail(Code::kInvalidArgument, "EAR token: runtime_data_claims.tee-pubkey missing");
  }
  const std::string claims = earClaims(signer.config(), appraisal, unixSeconds(now));
  // header.claims.signature, base64url: one buffer of the final size, and room for the
  // 12 bytes of the KBS's {"token":"…"} answer around it.
  constexpr std::size_t kSignatureB64 = 86;  // 64 raw bytes
  std::string token;
  token.reserve(signer.protectedHeaderB64().size() + 1 + (claims.size() * 4 + 2) / 3 + 1 +
                kSignatureB64 + 12);
  token += signer.protectedHeaderB64();
  token += '.';
  token += base64UrlEncode(asBytes(claims));
  COCOON_ASSIGN_OR_RETURN(
      Bytes signature,
      withContext(crypto::sign(signer.key(), jose::jwsSignatureScheme(jose::JwsAlgorithm::kEs256),
                               asBytes(token), crypto::EcdsaEncoding::kRaw),
                  "EAR token: signing"));
  token += '.';
  token += base64UrlEncode(signature);
  return token;
}

jose::JoseResult<EarToken> verifyEarToken(std::string_view token, const jose::JwkSet& keys,
                                          std::chrono::system_clock::time_point now,
                                          const EarVerifyOptions& options) {
  jose::JwtVerifyOptions jwt_options;
  jwt_options.allowed_algorithms = {jose::JwsAlgorithm::kEs256};
  jwt_options.leeway_seconds = options.leeway_seconds;
  jwt_options.required_claims = {"iat", "eat_profile", "ear.verifier-id", "submods"};
  COCOON_ASSIGN_OR_RETURN(jose::VerifiedJwt jwt, jose::verifyJwt(token, keys, jwt_options, now));
  struct {
    std::string profile;
    std::int64_t iat = 0;
    std::int64_t exp = 0;
  } out;
  const Json& claims = jwt.claims;
  COCOON_ASSIGN_OR_RETURN(const Json* iat, member(claims, "iat", "", "an integer", isInteger));
  COCOON_ASSIGN_OR_RETURN(const Json* exp, member(claims, "exp", "", "an integer", isInteger));
  out.iat = iat->get<std::int64_t>();
  out.exp = exp->get<std::int64_t>();
  // A token from the future was not issued by a clock we agree with (RFC 7519 leaves iat
  // unchecked; an EAR has no nbf, so iat is its start of validity).
  if (out.iat > unixSeconds(now) + options.leeway_seconds) {
    return jose::joseFail(JoseReason::kNotYetValid, "EAR: issued at {}, after now {}", out.iat,
                          unixSeconds(now));
  }
  COCOON_ASSIGN_OR_RETURN(const Json* profile,
                          member(claims, "eat_profile", "", "a string", isString));
  if (*profile != options.profile) {
    return jose::joseFail(JoseReason::kInvalidClaim, "EAR: eat_profile \"{}\" is not \"{}\"",
                          profile->get<std::string>().substr(0, 80), options.profile);
  }
  out.profile = profile->get<std::string>();
  COCOON_TRY(member(claims, "ear.verifier-id", "", "an object", isObject));
  COCOON_ASSIGN_OR_RETURN(const Json* submods,
                          member(claims, "submods", "", "an object", isObject));
  COCOON_ASSIGN_OR_RETURN(const Json* submod,
                          member(*submods, kSubmod, "submods.", "an object", isObject));
  Appraisal appraisal;
  COCOON_TRY(readAppraisal(*submod, appraisal));
  return EarToken{.claims = std::move(jwt.claims),
                  .profile = std::move(out.profile),
                  .iat = out.iat,
                  .exp = out.exp,
                  .status = appraisal.status,
                  .vector = appraisal.vector,
                  .policy_id = std::move(appraisal.policy_id),
                  .annotated_evidence = std::move(appraisal.annotated_evidence),
                  .tee_pubkey = std::move(*appraisal.tee_pubkey),
                  .development_only = appraisal.development_only};
}

Result<jose::JwkSet> earVerificationKeys(std::span<const crypto::Key> keys) {
  jose::JwkSet set;
  for (const crypto::Key& key : keys) {
    COCOON_TRY(signingJwk(key));
    set.keys.push_back(
        jose::Jwk{key.publicKey(), jose::jwkThumbprintBase64Url(key), "ES256", "sig", {}});
  }
  return set;
}

Result<Json> earJwks(std::span<const crypto::Key> keys) {
  Json list = Json::array();
  for (const crypto::Key& key : keys) {
    COCOON_ASSIGN_OR_RETURN(Json jwk, signingJwk(key));
    list.push_back(std::move(jwk));
  }
  return Json{{"keys", std::move(list)}};
}

}  // namespace cocoon::kbs::token
