// SPDX-License-Identifier: Apache-2.0
// Strict base64url, capped JSON and typed member access with JoseReason errors.
#include "crypto/jose/internal/codec.h"

#include "common/encoding.h"

namespace cocoon::jose::internal {
namespace {

// How json::parseJson words a duplicate member name (json/json.cc); the reason differs
// for JOSE because RFC 7515 §5.2 and RFC 7516 §5.2 name it separately.
constexpr std::string_view kDuplicateKeyPrefix = "json: duplicate object key";

}  // namespace

JoseResult<Bytes> decodeBase64Url(std::string_view text, std::string_view what) {
  auto decoded = base64UrlDecode(text);
  if (!decoded) {
    return joseFromError(JoseReason::kBadBase64, what, decoded.error());
  }
  return std::move(*decoded);
}

JoseResult<json::Json> parseJoseJson(std::string_view text, std::string_view what,
                                     std::size_t max_bytes, std::size_t max_depth) {
  auto parsed = json::parseJson(text, json::ParseLimits{max_bytes, max_depth});
  if (parsed) {
    return std::move(*parsed);
  }
  const Error& error = parsed.error();
  if (error.code == Code::kResourceExhausted) {
    return joseFromError(JoseReason::kTooLarge, what, error);
  }
  if (std::string_view(error.message).starts_with(kDuplicateKeyPrefix)) {
    return joseFromError(JoseReason::kDuplicateParameter, what, error);
  }
  return joseFromError(JoseReason::kMalformed, what, error);
}

const json::Json* findMember(const json::Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

JoseResult<std::optional<std::string_view>> optionalString(const json::Json& object,
                                                           std::string_view key,
                                                           std::string_view where) {
  const json::Json* member = findMember(object, key);
  if (member == nullptr) {
    return std::optional<std::string_view>();
  }
  if (!member->is_string()) {
    return joseFail(JoseReason::kMalformed, "{}: \"{}\" must be a string, found {}", where, key,
                    jsonTypeName(*member));
  }
  return std::optional<std::string_view>(member->get_ref<const std::string&>());
}

JoseResult<std::string_view> requiredString(const json::Json& object, std::string_view key,
                                            std::string_view where) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> value,
                          optionalString(object, key, where));
  if (!value) {
    return joseFail(JoseReason::kMalformed, "{}: missing \"{}\"", where, key);
  }
  return *value;
}

JoseStatus rejectUnknownMembers(const json::Json& object,
                                std::initializer_list<std::string_view> allowed,
                                std::string_view where) {
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      known = known || name == a;
    }
    if (!known) {
      return joseFail(JoseReason::kMalformed, "{}: unknown member \"{}\"", where,
                      std::string_view(name).substr(0, 64));
    }
  }
  return {};
}

tl::unexpected<JoseError> decryptionFailed() {
  return joseFail(JoseReason::kDecryptionFailed,
                  "JWE decryption failed (wrong key, or the data was altered)");
}

std::string_view jsonTypeName(const json::Json& value) {
  return value.type_name();
}

}  // namespace cocoon::jose::internal
