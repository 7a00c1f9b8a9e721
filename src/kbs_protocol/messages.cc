// SPDX-License-Identifier: Apache-2.0
// Strict parsing and compact serialization of the KBS protocol's JSON bodies.
#include "kbs_protocol/messages.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <utility>

#include "common/encoding.h"

namespace cocoon::kbs_protocol {
namespace {

using json::Json;

// Attacker text echoed in messages is cut to this many bytes.
constexpr std::size_t kEchoBytes = 64;

std::string_view echo(std::string_view text) {
  return text.substr(0, kEchoBytes);
}

Result<Json> parseObject(std::string_view text, std::size_t max_bytes, std::string_view what) {
  json::ParseLimits limits;
  limits.max_bytes = max_bytes;
  limits.max_depth = kMaxDepth;
  COCOON_ASSIGN_OR_RETURN(Json value,
                          withContext(json::parseJson(text, limits), fmt::format("kbs {}", what)));
  if (!value.is_object()) {
    return fail(Code::kInvalidArgument, "kbs {}: expected a JSON object, found {}", what,
                value.type_name());
  }
  return value;
}

// Refuses members of `object` outside `allowed`; `where` names the object in messages.
Status onlyMembers(const Json& object, std::initializer_list<std::string_view> allowed,
                   std::string_view where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return fail(Code::kInvalidArgument, "{}: unknown member \"{}\"", where, echo(key));
    }
  }
  return okStatus();
}

Result<const Json*> member(const Json& object, std::string_view key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end()) {
    return fail(Code::kInvalidArgument, "{}: missing member \"{}\"", where, key);
  }
  return &*it;
}

Result<std::string> stringMember(const Json& object, std::string_view key, std::string_view where) {
  return withContext(json::getString(object, key), std::string(where));
}

Result<const Json*> objectMember(const Json& object, std::string_view key, std::string_view where) {
  return withContext(json::getObject(object, key), std::string(where));
}

Result<std::uint32_t> versionPart(std::string_view part, std::string_view version) {
  std::uint32_t value = 0;
  const char* end = part.data() + part.size();
  auto [ptr, ec] = std::from_chars(part.data(), end, value);
  if (part.empty() || ec != std::errc() || ptr != end) {
    return fail(Code::kInvalidArgument, "version \"{}\": expected <major>.<minor>.<patch>",
                echo(version));
  }
  return value;
}

constexpr std::array<std::pair<ErrorKind, std::string_view>, 8> kErrorKinds = {{
    {ErrorKind::kAdminAuth, "AdminAuth"},
    {ErrorKind::kAttestationError, "AttestationError"},
    {ErrorKind::kInvalidRequestPath, "InvalidRequestPath"},
    {ErrorKind::kJweError, "JweError"},
    {ErrorKind::kPluginNotFound, "PluginNotFound"},
    {ErrorKind::kPolicyDeny, "PolicyDeny"},
    {ErrorKind::kTokenNotFound, "TokenNotFound"},
    {ErrorKind::kTokenVerifierError, "TokenVerifierError"},
}};

Result<InitData> parseInitData(const Json& object) {
  constexpr std::string_view kWhere = "init-data";
  COCOON_TRY(onlyMembers(object, {"format", "body"}, kWhere));
  InitData init_data;
  COCOON_ASSIGN_OR_RETURN(init_data.format, stringMember(object, "format", kWhere));
  COCOON_ASSIGN_OR_RETURN(init_data.body, stringMember(object, "body", kWhere));
  return init_data;
}

// The parsers below take the parsed object by reference and move the members they keep
// (the JWK object, the evidence) out of it instead of copying them.
Result<RuntimeData> parseRuntimeData(Json& object) {
  constexpr std::string_view kWhere = "runtime-data";
  COCOON_TRY(onlyMembers(object, {"nonce", "tee-pubkey"}, kWhere));
  COCOON_ASSIGN_OR_RETURN(std::string nonce, stringMember(object, "nonce", kWhere));
  COCOON_TRY(withContext(checkNonce(nonce), "runtime-data.nonce"));
  COCOON_TRY(objectMember(object, "tee-pubkey", kWhere));
  Json& jwk_json = *object.find("tee-pubkey");
  auto jwk = jose::jwkFromJson(jwk_json);
  if (!jwk) {
    return fail(Error(jwk.error()).addContext("runtime-data.tee-pubkey"));
  }
  if (jwk->key.hasPrivate()) {
    return fail(Code::kInvalidArgument, "runtime-data.tee-pubkey: must be a public key");
  }
  return RuntimeData{std::move(nonce), std::move(*jwk), std::move(jwk_json)};
}

Result<TeeEvidence> parseTeeEvidence(Json& object) {
  constexpr std::string_view kWhere = "tee-evidence";
  COCOON_TRY(onlyMembers(object, {"primary_evidence", "additional_evidence"}, kWhere));
  TeeEvidence evidence;
  COCOON_TRY(member(object, "primary_evidence", kWhere));
  COCOON_ASSIGN_OR_RETURN(evidence.additional_evidence,
                          stringMember(object, "additional_evidence", kWhere));
  evidence.primary_evidence = std::move(*object.find("primary_evidence"));
  return evidence;
}

}  // namespace

Status checkVersion(std::string_view version) {
  const std::size_t first = version.find('.');
  const std::size_t second = first == std::string_view::npos ? first : version.find('.', first + 1);
  if (second == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "version \"{}\": expected <major>.<minor>.<patch>",
                echo(version));
  }
  COCOON_ASSIGN_OR_RETURN(std::uint32_t major, versionPart(version.substr(0, first), version));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t minor,
                          versionPart(version.substr(first + 1, second - first - 1), version));
  COCOON_TRY(versionPart(version.substr(second + 1), version));
  if (major != 0 || minor != 4) {
    return fail(Code::kUnimplemented, "version \"{}\" is not supported (expected 0.4.x)",
                echo(version));
  }
  return okStatus();
}

Status checkNonce(std::string_view nonce) {
  auto bytes = base64Decode(nonce);
  if (!bytes) {
    return fail(Code::kInvalidArgument, "nonce is not standard base64: {}", bytes.error().message);
  }
  if (bytes->size() != kNonceBytes) {
    return fail(Code::kInvalidArgument, "nonce has {} bytes, expected {}", bytes->size(),
                kNonceBytes);
  }
  return okStatus();
}

std::string_view errorKindName(ErrorKind kind) {
  for (const auto& [value, name] : kErrorKinds) {
    if (value == kind) {
      return name;
    }
  }
  return "Unknown";
}

std::string errorTypeUrl(ErrorKind kind) {
  return std::string(kErrorTypePrefix) + std::string(errorKindName(kind));
}

std::optional<ErrorKind> errorKindFromType(std::string_view type) {
  if (type.substr(0, kErrorTypePrefix.size()) != kErrorTypePrefix) {
    return std::nullopt;
  }
  const std::string_view name = type.substr(kErrorTypePrefix.size());
  for (const auto& [value, wire] : kErrorKinds) {
    if (wire == name) {
      return value;
    }
  }
  return std::nullopt;
}

ErrorInfo makeErrorInfo(ErrorKind kind, std::string detail) {
  return ErrorInfo{errorTypeUrl(kind), std::move(detail)};
}

Result<Request> parseRequest(std::string_view text) {
  constexpr std::string_view kWhere = "request";
  COCOON_ASSIGN_OR_RETURN(Json object, parseObject(text, kMaxMessageBytes, kWhere));
  COCOON_TRY(onlyMembers(object, {"version", "tee", "extra-params"}, kWhere));
  Request request;
  COCOON_ASSIGN_OR_RETURN(request.version, stringMember(object, "version", kWhere));
  COCOON_ASSIGN_OR_RETURN(std::string tee, stringMember(object, "tee", kWhere));
  COCOON_ASSIGN_OR_RETURN(const Json* extra, member(object, "extra-params", kWhere));
  COCOON_TRY(withContext(checkVersion(request.version), "request.version"));
  COCOON_ASSIGN_OR_RETURN(request.tee, withContext(parseTee(tee), "request.tee"));
  request.extra_params = *extra;
  return request;
}

Result<Challenge> parseChallenge(std::string_view text) {
  constexpr std::string_view kWhere = "challenge";
  COCOON_ASSIGN_OR_RETURN(Json object, parseObject(text, kMaxMessageBytes, kWhere));
  COCOON_TRY(onlyMembers(object, {"nonce", "extra-params"}, kWhere));
  Challenge challenge;
  COCOON_ASSIGN_OR_RETURN(challenge.nonce, stringMember(object, "nonce", kWhere));
  COCOON_ASSIGN_OR_RETURN(const Json* extra, member(object, "extra-params", kWhere));
  COCOON_TRY(withContext(checkNonce(challenge.nonce), "challenge.nonce"));
  challenge.extra_params = *extra;
  return challenge;
}

Result<Attestation> parseAttestation(std::string_view text) {
  constexpr std::string_view kWhere = "attestation";
  COCOON_ASSIGN_OR_RETURN(Json object, parseObject(text, kMaxAttestationBytes, kWhere));
  COCOON_TRY(onlyMembers(object, {"init-data", "runtime-data", "tee-evidence"}, kWhere));
  std::optional<InitData> init_data;
  // kbs-types declares init-data as Option<Value>: absent and null both mean "none".
  if (auto it = object.find("init-data"); it != object.end() && !it->is_null()) {
    COCOON_ASSIGN_OR_RETURN(const Json* init, objectMember(object, "init-data", kWhere));
    COCOON_ASSIGN_OR_RETURN(init_data, parseInitData(*init));
  }
  COCOON_TRY(objectMember(object, "runtime-data", kWhere));
  COCOON_ASSIGN_OR_RETURN(RuntimeData runtime_data, parseRuntimeData(*object.find("runtime-data")));
  COCOON_TRY(objectMember(object, "tee-evidence", kWhere));
  COCOON_ASSIGN_OR_RETURN(TeeEvidence tee_evidence, parseTeeEvidence(*object.find("tee-evidence")));
  return Attestation{std::move(init_data), std::move(runtime_data), std::move(tee_evidence)};
}

Result<ErrorInfo> parseErrorInfo(std::string_view text) {
  constexpr std::string_view kWhere = "error";
  COCOON_ASSIGN_OR_RETURN(Json object, parseObject(text, kMaxMessageBytes, kWhere));
  COCOON_TRY(onlyMembers(object, {"type", "detail"}, kWhere));
  ErrorInfo error;
  COCOON_ASSIGN_OR_RETURN(error.type, stringMember(object, "type", kWhere));
  COCOON_ASSIGN_OR_RETURN(error.detail, stringMember(object, "detail", kWhere));
  return error;
}

std::string serializeRequest(const Request& request) {
  Json object = Json::object();
  object["version"] = request.version;
  object["tee"] = std::string(teeName(request.tee));
  object["extra-params"] = request.extra_params;
  return json::dumpCompact(object);
}

std::string serializeChallenge(const Challenge& challenge) {
  Json object = Json::object();
  object["nonce"] = challenge.nonce;
  object["extra-params"] = challenge.extra_params;
  return json::dumpCompact(object);
}

Result<std::string> serializeAttestation(const Attestation& attestation) {
  Json object = Json::object();
  if (attestation.init_data) {
    object["init-data"] = {{"format", attestation.init_data->format},
                           {"body", attestation.init_data->body}};
  }
  Json pubkey = attestation.runtime_data.tee_pubkey_json;
  if (!pubkey.is_object()) {
    auto exported = jose::jwkToJson(attestation.runtime_data.tee_pubkey);
    if (!exported) {
      return fail(Error(exported.error()).addContext("runtime-data.tee-pubkey"));
    }
    pubkey = std::move(*exported);
  }
  object["runtime-data"] = {{"nonce", attestation.runtime_data.nonce},
                            {"tee-pubkey", std::move(pubkey)}};
  object["tee-evidence"] = {{"primary_evidence", attestation.tee_evidence.primary_evidence},
                            {"additional_evidence", attestation.tee_evidence.additional_evidence}};
  return json::dumpCompact(object);
}

std::string serializeErrorInfo(const ErrorInfo& error) {
  Json object = Json::object();
  object["type"] = error.type;
  object["detail"] = error.detail;
  return json::dumpCompact(object);
}

}  // namespace cocoon::kbs_protocol
