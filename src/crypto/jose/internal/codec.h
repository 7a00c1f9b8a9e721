// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the JOSE parsers: strict base64url and capped JSON with the error
// mapped onto JoseReason, and typed access to members of untrusted JSON objects.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "crypto/jose/jose_error.h"
#include "json/json.h"

namespace cocoon::jose::internal {

// Strict unpadded base64url; kBadBase64 naming `what` otherwise.
JoseResult<Bytes> decodeBase64Url(std::string_view text, std::string_view what);

// parseJson with the given caps: kTooLarge past them, kDuplicateParameter for a
// duplicate member name, kMalformed otherwise.
JoseResult<json::Json> parseJoseJson(std::string_view text, std::string_view what,
                                     std::size_t max_bytes, std::size_t max_depth);

// The member `key` of `object` (REQUIRES: object.is_object()), or nullptr when absent.
const json::Json* findMember(const json::Json& object, std::string_view key);

// A string member: nullopt when absent; kMalformed naming `where` when not a string.
JoseResult<std::optional<std::string_view>> optionalString(const json::Json& object,
                                                           std::string_view key,
                                                           std::string_view where);
// As optionalString, and kMalformed when absent.
JoseResult<std::string_view> requiredString(const json::Json& object, std::string_view key,
                                            std::string_view where);

// kMalformed naming the first member of `object` that is not in `allowed`.
JoseStatus rejectUnknownMembers(const json::Json& object,
                                std::initializer_list<std::string_view> allowed,
                                std::string_view where);

// kDecryptionFailed with the one message every JWE decryption failure shares, whichever
// step failed (key unwrap, tag, padding), so that none can serve as an oracle.
tl::unexpected<JoseError> decryptionFailed();

// JSON's type name for messages ("string", "object", ...).
std::string_view jsonTypeName(const json::Json& value);

}  // namespace cocoon::jose::internal
