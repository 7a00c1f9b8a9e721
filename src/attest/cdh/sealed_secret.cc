// SPDX-License-Identifier: Apache-2.0
// Opening and sealing CoCo sealed secrets (JWS-wrapped vault references).
#include "attest/cdh/sealed_secret.h"

#include <array>
#include <vector>

#include "common/encoding.h"
#include "crypto/jose/algorithms.h"
#include "kbs_protocol/resource_uri.h"

namespace cocoon::attest::cdh {
namespace {

// The placeholders CoCo's tools write into unsigned sealed secrets.
constexpr std::string_view kFakeHeader = "fakejwsheader";
constexpr std::string_view kFakeSignature = "fakesignature";

Result<std::vector<std::string_view>> splitSegments(std::string_view body) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = body.find('.', start);
    out.push_back(body.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (out.size() != 3) {
    return fail(Code::kInvalidArgument,
                "sealed secret: expected sealed.<header>.<payload>.<signature>, found {} "
                "segments after the prefix",
                out.size());
  }
  return out;
}

Result<SecretBytes> verifiedPayload(std::string_view jws, const crypto::Key& key) {
  auto parsed = jose::parseJwsCompact(jws);
  if (!parsed) {
    return fail(Code::kUnauthenticated, "sealed secret signature: {}", parsed.error().toString());
  }
  jose::JwsVerifyOptions options;
  for (jose::JwsAlgorithm alg : jose::allJwsAlgorithms()) {
    if (jose::jwsAlgorithmFitsKey(alg, key.type())) {
      options.allowed_algorithms.push_back(alg);
    }
  }
  auto verified = jose::verifyJws(*parsed, key.publicKey(), options);
  if (!verified) {
    return fail(Code::kUnauthenticated, "sealed secret signature: {}", verified.error().toString());
  }
  return SecretBytes(std::move(verified->payload));
}

Result<VaultSecret> parseVault(const json::Json& payload) {
  static constexpr std::array<std::string_view, 6> kMembers = {
      "version", "type", "provider", "name", "provider_settings", "annotations"};
  for (const auto& [member, value] : payload.items()) {
    bool known = false;
    for (std::string_view k : kMembers) {
      known = known || member == k;
    }
    if (!known) {
      return fail(Code::kInvalidArgument, "sealed secret: unknown member \"{}\" in a vault secret",
                  member);
    }
  }
  VaultSecret vault;
  COCOON_ASSIGN_OR_RETURN(vault.provider, json::getString(payload, "provider"));
  COCOON_ASSIGN_OR_RETURN(vault.name, json::getString(payload, "name"));
  COCOON_ASSIGN_OR_RETURN(const json::Json* settings,
                          json::getObject(payload, "provider_settings"));
  vault.provider_settings = *settings;
  if (payload.contains("annotations")) {
    COCOON_ASSIGN_OR_RETURN(const json::Json* annotations, json::getObject(payload, "annotations"));
    vault.annotations = *annotations;
  }
  if (vault.provider != "kbs") {
    return fail(Code::kUnimplemented,
                "sealed secret: vault provider \"{}\" is not supported (only \"kbs\")",
                vault.provider);
  }
  COCOON_TRY(withContext(kbsResourcePath(vault.name), "sealed secret name"));
  return vault;
}

Result<SealedSecret> parsePayload(ByteSpan bytes) {
  auto payload = json::parseJson(toString(bytes));
  if (!payload || !payload->is_object()) {
    return fail(Code::kInvalidArgument, "sealed secret: the payload is not a JSON object{}",
                payload ? "" : " (" + payload.error().message + ")");
  }
  COCOON_ASSIGN_OR_RETURN(std::string version, json::getString(*payload, "version"));
  if (version != kSealedSecretVersion) {
    return fail(Code::kInvalidArgument, "sealed secret: version \"{}\", expected \"{}\"", version,
                kSealedSecretVersion);
  }
  COCOON_ASSIGN_OR_RETURN(std::string type, json::getString(*payload, "type"));
  SealedSecret out;
  if (type == "vault") {
    COCOON_ASSIGN_OR_RETURN(out.vault, parseVault(*payload));
    return out;
  }
  if (type == "envelope") {
    return fail(Code::kUnimplemented,
                "sealed secret: type \"envelope\" (KMS envelope encryption) is not supported; "
                "seal a \"vault\" reference to a KBS resource instead");
  }
  return fail(Code::kUnimplemented, "sealed secret: unknown type \"{}\"", type);
}

}  // namespace

Result<std::string> kbsResourcePath(std::string_view uri) {
  COCOON_ASSIGN_OR_RETURN(kbs_protocol::ResourceUri parsed, kbs_protocol::parseResourceUri(uri));
  if (parsed.plugin != kbs_protocol::kDefaultPlugin || parsed.segments.size() != 3) {
    return fail(Code::kInvalidArgument,
                "{}: expected a KBS resource kbs:///repo/type/tag ({} segments, plugin {})", uri,
                parsed.segments.size(), parsed.plugin);
  }
  return parsed.segments[0] + "/" + parsed.segments[1] + "/" + parsed.segments[2];
}

Result<SealedSecret> openSealedSecret(std::string_view sealed,
                                      const crypto::Key* verification_key) {
  if (sealed.size() > kMaxSealedSecretBytes) {
    return fail(Code::kResourceExhausted, "sealed secret: {} bytes, at most {} accepted",
                sealed.size(), kMaxSealedSecretBytes);
  }
  if (!sealed.starts_with(kSealedPrefix)) {
    return fail(Code::kInvalidArgument, "sealed secret: does not start with \"{}\"", kSealedPrefix);
  }
  const std::string_view body = sealed.substr(kSealedPrefix.size());
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string_view> segments, splitSegments(body));
  std::optional<std::string> kid;
  SecretBytes payload;
  if (verification_key != nullptr) {
    COCOON_ASSIGN_OR_RETURN(payload, verifiedPayload(body, *verification_key));
    // The header is authentic now; its kid is reported for logs.
    auto header = base64UrlDecode(segments[0]);
    if (header) {
      auto parsed = json::parseJson(toString(*header));
      if (parsed && parsed->is_object() && parsed->contains("kid") &&
          (*parsed)["kid"].is_string()) {
        kid = (*parsed)["kid"].get<std::string>();
      }
    }
  } else {
    auto decoded = base64UrlDecode(segments[1]);
    if (!decoded) {
      return fail(Code::kInvalidArgument, "sealed secret payload: {}", decoded.error().message);
    }
    payload = SecretBytes(std::move(*decoded));
  }
  COCOON_ASSIGN_OR_RETURN(SealedSecret out, parsePayload(payload.span()));
  out.kid = std::move(kid);
  out.signature_verified = verification_key != nullptr;
  return out;
}

Result<std::string> sealVaultSecret(std::string_view name,
                                    const std::optional<jose::JwsSigner>& signer) {
  COCOON_TRY(kbsResourcePath(name));
  const json::Json payload = {{"version", kSealedSecretVersion},
                              {"type", "vault"},
                              {"name", name},
                              {"provider", "kbs"},
                              {"provider_settings", json::Json::object()},
                              {"annotations", json::Json::object()}};
  const std::string text = json::dumpCompact(payload);
  if (!signer) {
    return fmt::format("{}{}.{}.{}", kSealedPrefix, kFakeHeader, base64UrlEncode(asBytes(text)),
                       kFakeSignature);
  }
  auto jws = jose::signJwsCompact(asBytes(text), *signer);
  if (!jws) {
    return fail(jws.error());
  }
  return std::string(kSealedPrefix) + *jws;
}

}  // namespace cocoon::attest::cdh
