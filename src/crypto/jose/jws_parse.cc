// SPDX-License-Identifier: Apache-2.0
// JWS compact and JSON serialization parsing (RFC 7515 §7).
#include <utility>

#include "crypto/jose/internal/codec.h"
#include "crypto/jose/internal/compact.h"
#include "crypto/jose/jws.h"

namespace cocoon::jose {
namespace {

using internal::decodeBase64Url;
using internal::findMember;

// One signature from its parts: the protected header text (possibly absent), the
// unprotected header (possibly absent) and the signature text.
JoseResult<JwsSignatureEntry> parseEntry(std::optional<std::string_view> protected_b64,
                                         const json::Json* unprotected,
                                         std::string_view signature_b64, const JoseLimits& limits) {
  JwsSignatureEntry entry;
  json::Json protected_header;
  if (protected_b64) {
    COCOON_ASSIGN_OR_RETURN(protected_header, decodeProtectedHeader(*protected_b64, limits));
    entry.protected_b64 = std::string(*protected_b64);
  }
  HeaderParts parts;
  parts.protected_header = protected_b64 ? &protected_header : nullptr;
  parts.per_entry = unprotected;
  COCOON_ASSIGN_OR_RETURN(entry.header, buildJoseHeader(parts, HeaderUse::kJws));
  COCOON_ASSIGN_OR_RETURN(entry.signature, decodeBase64Url(signature_b64, "JWS signature"));
  return entry;
}

// The members of one general-serialization signature object, or of a flattened JWS.
JoseResult<JwsSignatureEntry> parseJsonEntry(const json::Json& object, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> protected_b64,
                          internal::optionalString(object, "protected", "JWS"));
  COCOON_ASSIGN_OR_RETURN(std::string_view signature,
                          internal::requiredString(object, "signature", "JWS"));
  const json::Json* header = findMember(object, "header");
  if (!protected_b64 && header == nullptr) {
    return joseFail(JoseReason::kMalformed,
                    "JWS: a signature has neither \"protected\" nor \"header\"");
  }
  return parseEntry(protected_b64, header, signature, limits);
}

}  // namespace

JoseResult<ParsedJws> parseJwsCompact(std::string_view token, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string_view> segments,
                          internal::splitCompact(token, 3, "JWS compact serialization", limits));
  ParsedJws jws;
  COCOON_ASSIGN_OR_RETURN(JwsSignatureEntry entry,
                          parseEntry(segments[0], nullptr, segments[2], limits));
  COCOON_ASSIGN_OR_RETURN(jws.payload, decodeBase64Url(segments[1], "JWS payload"));
  jws.payload_b64 = std::string(segments[1]);
  jws.signatures.push_back(std::move(entry));
  return jws;
}

JoseResult<ParsedJws> parseJwsJson(std::string_view text, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(
      json::Json root, internal::parseSerializationObject(text, "JWS JSON serialization", limits));
  const json::Json* signatures = findMember(root, "signatures");
  if (signatures != nullptr) {
    COCOON_TRY(internal::rejectUnknownMembers(root, {"payload", "signatures"}, "JWS"));
  } else {
    COCOON_TRY(internal::rejectUnknownMembers(root, {"payload", "protected", "header", "signature"},
                                              "JWS"));
  }
  if (findMember(root, "payload") == nullptr) {
    return joseFail(JoseReason::kUnsupportedFeature,
                    "JWS: no \"payload\" (detached content is not supported)");
  }
  ParsedJws jws;
  COCOON_ASSIGN_OR_RETURN(std::string_view payload_b64,
                          internal::requiredString(root, "payload", "JWS"));
  COCOON_ASSIGN_OR_RETURN(jws.payload, decodeBase64Url(payload_b64, "JWS payload"));
  jws.payload_b64 = std::string(payload_b64);
  if (signatures == nullptr) {
    COCOON_ASSIGN_OR_RETURN(JwsSignatureEntry entry, parseJsonEntry(root, limits));
    jws.signatures.push_back(std::move(entry));
    return jws;
  }
  if (!signatures->is_array() || signatures->empty()) {
    return joseFail(JoseReason::kMalformed, "JWS: \"signatures\" must be a non-empty array");
  }
  if (signatures->size() > limits.max_entries) {
    return joseFail(JoseReason::kTooLarge, "JWS: {} signatures exceed the limit of {}",
                    signatures->size(), limits.max_entries);
  }
  for (const json::Json& object : *signatures) {
    if (!object.is_object()) {
      return joseFail(JoseReason::kMalformed, "JWS: a \"signatures\" entry is a {}, not an object",
                      internal::jsonTypeName(object));
    }
    COCOON_TRY(internal::rejectUnknownMembers(object, {"protected", "header", "signature"},
                                              "JWS signature"));
    COCOON_ASSIGN_OR_RETURN(JwsSignatureEntry entry, parseJsonEntry(object, limits));
    jws.signatures.push_back(std::move(entry));
  }
  return jws;
}

}  // namespace cocoon::jose
