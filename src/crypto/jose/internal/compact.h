// SPDX-License-Identifier: Apache-2.0
// The outer layer of JOSE serializations: compact segments and the JSON top level.
#pragma once

#include <string_view>
#include <vector>

#include "crypto/jose/header.h"
#include "crypto/jose/jose_error.h"
#include "json/json.h"

namespace cocoon::jose::internal {

// Splits `token` on '.', requiring exactly `expected` segments (3 for a JWS, 5 for a JWE).
// Fails with kTooLarge beyond limits.max_input_bytes and kMalformed for another count.
JoseResult<std::vector<std::string_view>> splitCompact(std::string_view token, std::size_t expected,
                                                       std::string_view what,
                                                       const JoseLimits& limits);

// kTooLarge when a serialization is beyond limits.max_input_bytes.
JoseStatus checkInputSize(std::string_view text, std::string_view what, const JoseLimits& limits);

// A JSON serialization's top level: capped JSON that must be an object (kMalformed).
JoseResult<json::Json> parseSerializationObject(std::string_view text, std::string_view what,
                                                const JoseLimits& limits);

}  // namespace cocoon::jose::internal
