// SPDX-License-Identifier: Apache-2.0
// JWE compact and JSON serialization parsing (RFC 7516 §7).
#include "crypto/jose/internal/codec.h"
#include "crypto/jose/internal/compact.h"
#include "crypto/jose/jwe.h"

namespace cocoon::jose {
namespace {

using internal::decodeBase64Url;
using internal::findMember;

// An optional base64url member; empty when absent (RFC 7516 §7.2.1 omits empty values).
JoseResult<Bytes> optionalB64Member(const json::Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                          internal::optionalString(object, key, "JWE"));
  if (!text) {
    return Bytes();
  }
  return decodeBase64Url(*text, fmt::format("JWE \"{}\"", key));
}

// An optional member that must be a JSON object; null when absent.
JoseResult<json::Json> optionalObject(const json::Json& object, std::string_view key) {
  const json::Json* member = findMember(object, key);
  if (member == nullptr) {
    return json::Json(nullptr);
  }
  if (!member->is_object()) {
    return joseFail(JoseReason::kMalformed, "JWE: \"{}\" must be an object, found {}", key,
                    internal::jsonTypeName(*member));
  }
  return *member;
}

JoseResult<JweRecipientEntry> parseRecipient(const json::Json& object) {
  JweRecipientEntry recipient;
  COCOON_ASSIGN_OR_RETURN(recipient.header, optionalObject(object, "header"));
  COCOON_ASSIGN_OR_RETURN(recipient.encrypted_key, optionalB64Member(object, "encrypted_key"));
  return recipient;
}

// The members shared by both JSON forms.
JoseStatus parseShared(const json::Json& root, const JoseLimits& limits, ParsedJwe& jwe) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> protected_b64,
                          internal::optionalString(root, "protected", "JWE"));
  if (protected_b64) {
    COCOON_ASSIGN_OR_RETURN(jwe.protected_header, decodeProtectedHeader(*protected_b64, limits));
    jwe.protected_b64 = std::string(*protected_b64);
  }
  COCOON_ASSIGN_OR_RETURN(jwe.shared_unprotected, optionalObject(root, "unprotected"));
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> aad,
                          internal::optionalString(root, "aad", "JWE"));
  if (aad) {
    COCOON_TRY(decodeBase64Url(*aad, "JWE \"aad\""));
    jwe.aad_b64 = std::string(*aad);
  }
  COCOON_ASSIGN_OR_RETURN(jwe.iv, optionalB64Member(root, "iv"));
  COCOON_ASSIGN_OR_RETURN(std::string_view ciphertext,
                          internal::requiredString(root, "ciphertext", "JWE"));
  COCOON_ASSIGN_OR_RETURN(jwe.ciphertext, decodeBase64Url(ciphertext, "JWE \"ciphertext\""));
  COCOON_ASSIGN_OR_RETURN(jwe.tag, optionalB64Member(root, "tag"));
  return {};
}

}  // namespace

JoseResult<ParsedJwe> parseJweCompact(std::string_view token, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string_view> segments,
                          internal::splitCompact(token, 5, "JWE compact serialization", limits));
  ParsedJwe jwe;
  COCOON_ASSIGN_OR_RETURN(jwe.protected_header, decodeProtectedHeader(segments[0], limits));
  jwe.protected_b64 = std::string(segments[0]);
  JweRecipientEntry recipient;
  COCOON_ASSIGN_OR_RETURN(recipient.encrypted_key,
                          decodeBase64Url(segments[1], "JWE encrypted key"));
  jwe.recipients.push_back(std::move(recipient));
  COCOON_ASSIGN_OR_RETURN(jwe.iv, decodeBase64Url(segments[2], "JWE IV"));
  COCOON_ASSIGN_OR_RETURN(jwe.ciphertext, decodeBase64Url(segments[3], "JWE ciphertext"));
  COCOON_ASSIGN_OR_RETURN(jwe.tag, decodeBase64Url(segments[4], "JWE tag"));
  return jwe;
}

JoseResult<ParsedJwe> parseJweJson(std::string_view text, const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(
      json::Json root, internal::parseSerializationObject(text, "JWE JSON serialization", limits));
  ParsedJwe jwe;
  const json::Json* recipients = findMember(root, "recipients");
  if (recipients == nullptr) {
    COCOON_TRY(internal::rejectUnknownMembers(
        root,
        {"protected", "unprotected", "header", "encrypted_key", "aad", "iv", "ciphertext", "tag"},
        "JWE"));
    COCOON_TRY(parseShared(root, limits, jwe));
    COCOON_ASSIGN_OR_RETURN(JweRecipientEntry recipient, parseRecipient(root));
    jwe.recipients.push_back(std::move(recipient));
    return jwe;
  }
  COCOON_TRY(internal::rejectUnknownMembers(
      root, {"protected", "unprotected", "recipients", "aad", "iv", "ciphertext", "tag"}, "JWE"));
  COCOON_TRY(parseShared(root, limits, jwe));
  if (!recipients->is_array() || recipients->empty()) {
    return joseFail(JoseReason::kMalformed, "JWE: \"recipients\" must be a non-empty array");
  }
  if (recipients->size() > limits.max_entries) {
    return joseFail(JoseReason::kTooLarge, "JWE: {} recipients exceed the limit of {}",
                    recipients->size(), limits.max_entries);
  }
  for (const json::Json& object : *recipients) {
    if (!object.is_object()) {
      return joseFail(JoseReason::kMalformed, "JWE: a \"recipients\" entry is a {}, not an object",
                      internal::jsonTypeName(object));
    }
    COCOON_TRY(
        internal::rejectUnknownMembers(object, {"header", "encrypted_key"}, "JWE recipient"));
    COCOON_ASSIGN_OR_RETURN(JweRecipientEntry recipient, parseRecipient(object));
    jwe.recipients.push_back(std::move(recipient));
  }
  return jwe;
}

}  // namespace cocoon::jose
