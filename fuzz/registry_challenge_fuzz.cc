// SPDX-License-Identifier: Apache-2.0
// Fuzzes the registry auth parsers: WWW-Authenticate challenges and token responses, both
// sent by untrusted servers. Failures must be kInvalidArgument or kResourceExhausted.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/registry/auth/challenge.h"

namespace auth = cocoon::image::registry::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto challenges = auth::parseChallenges(text);
  if (challenges) {
    if (challenges->empty() || challenges->size() > 16) {
      std::abort();
    }
  } else if (challenges.error().code != cocoon::Code::kInvalidArgument &&
             challenges.error().code != cocoon::Code::kResourceExhausted) {
    std::abort();
  }
  auto token = auth::parseTokenResponse(text, std::chrono::seconds(60));
  if (token && (token->token.empty() || token->expires_in.count() <= 0)) {
    std::abort();
  }
  return 0;
}
