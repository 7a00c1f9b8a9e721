// SPDX-License-Identifier: Apache-2.0
// VerifiedTokens: a bounded map from token bytes to their verified claims.
#include "kbs/internal/verified_tokens.h"

#include <iterator>
#include <utility>

namespace cocoon::kbs::internal {
namespace {

bool validAt(const token::EarToken& token, std::int64_t now_s) {
  return token.iat <= now_s && now_s < token.exp;
}

std::int64_t seconds(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

}  // namespace

std::shared_ptr<const token::EarToken> VerifiedTokens::find(
    std::string_view token, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(std::string(token));
  if (it == tokens_.end()) {
    return nullptr;
  }
  if (!validAt(*it->second, seconds(now))) {
    tokens_.erase(it);
    return nullptr;
  }
  return it->second;
}

void VerifiedTokens::add(std::string token, std::shared_ptr<const token::EarToken> verified,
                         std::chrono::system_clock::time_point now) {
  if (capacity_ == 0 || verified == nullptr) {
    return;
  }
  std::lock_guard lock(mutex_);
  if (tokens_.size() >= capacity_ && !tokens_.contains(token)) {
    const std::int64_t now_s = seconds(now);
    for (auto it = tokens_.begin(); it != tokens_.end();) {
      it = validAt(*it->second, now_s) ? std::next(it) : tokens_.erase(it);
    }
    if (tokens_.size() >= capacity_) {
      tokens_.clear();
    }
  }
  tokens_.insert_or_assign(std::move(token), std::move(verified));
}

std::size_t VerifiedTokens::size() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

}  // namespace cocoon::kbs::internal
