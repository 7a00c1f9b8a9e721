// SPDX-License-Identifier: Apache-2.0
// VerifiedTokens: the bearer tokens this KBS has already verified, so that a guest fetching
// several resources with one token (key, policy, credentials) pays the ES256 verification
// and the claims walk once, not per GET.
// Trust: keys are the exact token strings a client sent; only tokens whose signature and
// claims verified are stored, so a hit can only ever return what verifyEarToken returned
// for the same bytes. Validity in time is checked again on every hit.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kbs/token/ear.h"

namespace cocoon::kbs::internal {

class VerifiedTokens {
 public:
  // At most `capacity` tokens are kept (each holds its claims, a few KiB).
  explicit VerifiedTokens(std::size_t capacity) : capacity_(capacity) {}

  // The token verified earlier for exactly `token`, when it is still valid at `now`
  // (iat <= now < exp, the window verifyEarToken accepts without leeway); nullptr otherwise.
  std::shared_ptr<const token::EarToken> find(std::string_view token,
                                              std::chrono::system_clock::time_point now);

  // Remembers a token that verifyEarToken accepted. When full, expired tokens are dropped
  // first; if none has expired, everything is dropped (the cache only saves work, so
  // losing entries costs a re-verification, never a wrong answer).
  void add(std::string token, std::shared_ptr<const token::EarToken> verified,
           std::chrono::system_clock::time_point now);

  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const token::EarToken>> tokens_;
};

}  // namespace cocoon::kbs::internal
