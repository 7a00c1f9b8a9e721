// SPDX-License-Identifier: Apache-2.0
// Protected-header decoding and JOSE Header assembly and validation.
#include "crypto/jose/header.h"

#include <array>

#include "crypto/jose/internal/codec.h"

namespace cocoon::jose {
namespace {

using internal::findMember;
using internal::jsonTypeName;
using internal::optionalString;

constexpr std::array<std::string_view, 3> kPartNames = {
    "protected header", "shared unprotected header", "per-entry unprotected header"};

JoseStatus copyOptionalString(const json::Json& params, std::string_view key,
                              std::optional<std::string>& out) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> value,
                          optionalString(params, key, "JOSE header"));
  if (value) {
    out = std::string(*value);
  }
  return {};
}

// RFC 7515 §4.1.11: "crit" must be integrity protected, a non-empty array of names.
// We implement no extension, so any well-formed "crit" is refused as unknown.
JoseStatus checkCritical(const HeaderParts& parts) {
  for (const json::Json* part : {parts.shared_unprotected, parts.per_entry}) {
    if (part != nullptr && findMember(*part, "crit") != nullptr) {
      return joseFail(JoseReason::kMalformed,
                      "JOSE header: \"crit\" must be in the protected header");
    }
  }
  const json::Json* crit =
      parts.protected_header == nullptr ? nullptr : findMember(*parts.protected_header, "crit");
  if (crit == nullptr) {
    return {};
  }
  if (!crit->is_array() || crit->empty()) {
    return joseFail(JoseReason::kMalformed, "JOSE header: \"crit\" must be a non-empty array");
  }
  for (const json::Json& name : *crit) {
    if (!name.is_string()) {
      return joseFail(JoseReason::kMalformed, "JOSE header: \"crit\" holds a {}, not a name",
                      jsonTypeName(name));
    }
  }
  return joseFail(JoseReason::kUnknownCritical,
                  "JOSE header: critical extension \"{}\" is not supported",
                  std::string_view((*crit)[0].get_ref<const std::string&>()).substr(0, 64));
}

JoseStatus checkUnsupportedFeatures(const json::Json& params, HeaderUse use) {
  if (use == HeaderUse::kJwe && findMember(params, "zip") != nullptr) {
    // Compression before encryption leaks plaintext through ciphertext length; no peer of
    // ours sends it.
    return joseFail(JoseReason::kUnsupportedFeature,
                    "JWE header: \"zip\" (compressed plaintext) is not supported");
  }
  if (use == HeaderUse::kJws) {
    if (const json::Json* b64 = findMember(params, "b64")) {
      if (!b64->is_boolean()) {
        return joseFail(JoseReason::kMalformed, "JWS header: \"b64\" must be a boolean");
      }
      if (!b64->get<bool>()) {
        return joseFail(JoseReason::kUnsupportedFeature,
                        "JWS header: \"b64\": false (RFC 7797 unencoded payload) is not supported");
      }
    }
  }
  return {};
}

}  // namespace

JoseResult<json::Json> decodeProtectedHeader(std::string_view b64, const JoseLimits& limits) {
  // Base64 expands 3 bytes to 4 characters: compare before decoding anything.
  if (b64.size() / 4 * 3 > limits.max_header_bytes) {
    return joseFail(JoseReason::kTooLarge,
                    "protected header of {} base64url characters exceeds {} bytes", b64.size(),
                    limits.max_header_bytes);
  }
  COCOON_ASSIGN_OR_RETURN(Bytes raw, internal::decodeBase64Url(b64, "protected header"));
  COCOON_ASSIGN_OR_RETURN(json::Json header,
                          internal::parseJoseJson(toString(raw), "protected header",
                                                  limits.max_header_bytes, limits.max_json_depth));
  if (!header.is_object()) {
    return joseFail(JoseReason::kMalformed, "protected header: expected a JSON object, found {}",
                    jsonTypeName(header));
  }
  return header;
}

JoseResult<JoseHeader> buildJoseHeader(const HeaderParts& parts, HeaderUse use) {
  JoseHeader header;
  const std::array<const json::Json*, 3> ordered = {parts.protected_header,
                                                    parts.shared_unprotected, parts.per_entry};
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    if (ordered[i] == nullptr) {
      continue;
    }
    if (!ordered[i]->is_object()) {
      return joseFail(JoseReason::kMalformed, "{}: expected a JSON object, found {}", kPartNames[i],
                      jsonTypeName(*ordered[i]));
    }
    for (const auto& [name, value] : ordered[i]->items()) {
      if (header.params.contains(name)) {
        return joseFail(JoseReason::kDuplicateParameter,
                        "JOSE header: parameter \"{}\" occurs twice ({} repeats it)",
                        std::string_view(name).substr(0, 64), kPartNames[i]);
      }
      header.params[name] = value;
    }
  }
  COCOON_TRY(checkCritical(parts));
  COCOON_TRY(checkUnsupportedFeatures(header.params, use));
  COCOON_ASSIGN_OR_RETURN(std::string_view alg,
                          internal::requiredString(header.params, "alg", "JOSE header"));
  header.alg = std::string(alg);
  if (use == HeaderUse::kJwe) {
    COCOON_ASSIGN_OR_RETURN(std::string_view enc,
                            internal::requiredString(header.params, "enc", "JWE header"));
    header.enc = std::string(enc);
  }
  COCOON_TRY(copyOptionalString(header.params, "kid", header.kid));
  COCOON_TRY(copyOptionalString(header.params, "typ", header.typ));
  COCOON_TRY(copyOptionalString(header.params, "cty", header.cty));
  return header;
}

}  // namespace cocoon::jose
