// SPDX-License-Identifier: Apache-2.0
// Compact serialization splitting and JSON serialization top level, with caps.
#include "crypto/jose/internal/compact.h"

#include "crypto/jose/internal/codec.h"

namespace cocoon::jose::internal {

JoseStatus checkInputSize(std::string_view text, std::string_view what, const JoseLimits& limits) {
  if (text.size() > limits.max_input_bytes) {
    return joseFail(JoseReason::kTooLarge, "{} of {} bytes exceeds the limit of {} bytes", what,
                    text.size(), limits.max_input_bytes);
  }
  return {};
}

JoseResult<std::vector<std::string_view>> splitCompact(std::string_view token, std::size_t expected,
                                                       std::string_view what,
                                                       const JoseLimits& limits) {
  COCOON_TRY(checkInputSize(token, what, limits));
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (segments.size() <= expected) {
    const std::size_t dot = token.find('.', start);
    segments.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (segments.size() != expected) {
    // Counted up to expected + 1 only: an attacker's million dots cost nothing.
    return joseFail(JoseReason::kMalformed, "{}: expected {} dot-separated segments, found {}{}",
                    what, expected, segments.size() > expected ? "more than " : "",
                    segments.size() > expected ? expected : segments.size());
  }
  return segments;
}

JoseResult<json::Json> parseSerializationObject(std::string_view text, std::string_view what,
                                                const JoseLimits& limits) {
  COCOON_TRY(checkInputSize(text, what, limits));
  COCOON_ASSIGN_OR_RETURN(json::Json root,
                          parseJoseJson(text, what, limits.max_input_bytes, limits.max_json_depth));
  if (!root.is_object()) {
    return joseFail(JoseReason::kMalformed, "{}: expected an object, found {}", what,
                    jsonTypeName(root));
  }
  return root;
}

}  // namespace cocoon::jose::internal
