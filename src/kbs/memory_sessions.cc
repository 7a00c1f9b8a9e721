// SPDX-License-Identifier: Apache-2.0
// In-memory RCAR sessions and cached policies and reference values over a persistent store.
#include "kbs/memory_sessions.h"

#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace cocoon::kbs {
namespace {

using store::Session;
using store::SessionState;

// Session ids and nonces are random text made by the KBS; lookups by a client's cookie
// take a string_view.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

class MemorySessionStore : public store::KbsStore {
 public:
  MemorySessionStore(std::unique_ptr<store::KbsStore> inner, store::Clock clock)
      : inner_(std::move(inner)), clock_(std::move(clock)) {}

  Status putResource(std::string_view path, ByteSpan value) override {
    return inner_->putResource(path, value);
  }
  Result<Bytes> getResource(std::string_view path) override { return inner_->getResource(path); }
  Status deleteResource(std::string_view path) override { return inner_->deleteResource(path); }
  Result<std::vector<std::string>> listResources(std::string_view prefix) override {
    return inner_->listResources(prefix);
  }
  Status putPolicy(store::PolicyKind kind, std::string_view id, std::string_view body) override {
    std::lock_guard lock(config_mutex_);
    policies_.erase(policyKey(kind, id));
    return inner_->putPolicy(kind, id, body);
  }
  // Served from memory after the first read: every handshake and resource GET reads the
  // policy, and only this process writes it.
  Result<std::string> getPolicy(store::PolicyKind kind, std::string_view id) override {
    std::lock_guard lock(config_mutex_);
    auto key = policyKey(kind, id);
    if (auto it = policies_.find(key); it != policies_.end()) {
      return it->second;
    }
    auto text = inner_->getPolicy(kind, id);
    // "None stored" is an answer too (the built-in policy applies); a failed read is not.
    if (text || text.error().code == Code::kNotFound) {
      policies_.emplace(std::move(key), text);
    }
    return text;
  }
  Status registerReferenceValues(std::string_view name,
                                 const std::vector<store::ReferenceValue>& values,
                                 store::ReferenceValueMode mode) override {
    std::lock_guard lock(config_mutex_);
    reference_values_.reset();
    return inner_->registerReferenceValues(name, values, mode);
  }
  Result<std::vector<store::ReferenceValue>> getReferenceValues(std::string_view name) override {
    return inner_->getReferenceValues(name);
  }
  // The cached list keeps values with their expiry, so a value that expires while cached is
  // left out here exactly as the store's own query would leave it out.
  Result<std::map<std::string, std::vector<store::ReferenceValue>>> listReferenceValues() override {
    std::lock_guard lock(config_mutex_);
    if (!reference_values_) {
      COCOON_ASSIGN_OR_RETURN(auto all, inner_->listReferenceValues());
      reference_values_ = std::move(all);
    }
    const auto now = clock_();
    std::map<std::string, std::vector<store::ReferenceValue>> live;
    for (const auto& [name, values] : *reference_values_) {
      std::vector<store::ReferenceValue> kept;
      kept.reserve(values.size());
      for (const auto& v : values) {
        if (!v.expires_at || *v.expires_at > now) {
          kept.push_back(v);
        }
      }
      if (!kept.empty()) {
        live.emplace(name, std::move(kept));
      }
    }
    return live;
  }
  Status deleteReferenceValues(std::string_view name) override {
    std::lock_guard lock(config_mutex_);
    reference_values_.reset();
    return inner_->deleteReferenceValues(name);
  }

  Status createSession(const Session& s) override {
    std::lock_guard lock(mutex_);
    if (nonces_.contains(s.nonce) || !sessions_.try_emplace(s.id, s).second) {
      return fail(Code::kAlreadyExists, "a session with this id or nonce is already stored");
    }
    nonces_.insert(s.nonce);
    return {};
  }

  Result<Session> getSession(std::string_view id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.expires_at <= clock_()) {
      return fail(Code::kNotFound, "no live session with this id");
    }
    return it->second;
  }

  Status markSessionAttested(std::string_view id, std::string_view token,
                             std::string_view tee_pubkey_jwk,
                             store::TimePoint expires_at) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.expires_at <= clock_()) {
      return fail(Code::kNotFound, "no live session with this id");
    }
    if (it->second.state == SessionState::kAttested) {
      return fail(Code::kFailedPrecondition,
                  "session is already attested: its challenge can be answered only once");
    }
    it->second.state = SessionState::kAttested;
    it->second.token = std::string(token);
    it->second.tee_pubkey_jwk = std::string(tee_pubkey_jwk);
    it->second.expires_at = expires_at;
    return {};
  }

  Status deleteSession(std::string_view id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return fail(Code::kNotFound, "no session with this id");
    }
    nonces_.erase(it->second.nonce);
    sessions_.erase(it);
    return {};
  }

  Result<std::uint64_t> countLiveSessions() override {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

  Result<store::SweepCounts> sweepExpired() override {
    COCOON_ASSIGN_OR_RETURN(store::SweepCounts counts, inner_->sweepExpired());
    if (counts.reference_values > 0) {
      std::lock_guard config_lock(config_mutex_);
      reference_values_.reset();  // frees the swept values; reads filter by expiry anyway
    }
    std::lock_guard lock(mutex_);
    const auto now = clock_();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.expires_at <= now) {
        nonces_.erase(it->second.nonce);
        it = sessions_.erase(it);
        ++counts.sessions;
      } else {
        ++it;
      }
    }
    return counts;
  }

 private:
  static std::string policyKey(store::PolicyKind kind, std::string_view id) {
    return fmt::format("{}/{}", static_cast<int>(kind), id);
  }

  std::unique_ptr<store::KbsStore> inner_;
  store::Clock clock_;
  // Guards the caches and is held across the inner write or read that changes or fills
  // them, so a read that races a write cannot put the old value back.
  std::mutex config_mutex_;
  std::map<std::string, Result<std::string>, std::less<>> policies_;
  std::optional<std::map<std::string, std::vector<store::ReferenceValue>>> reference_values_;
  std::mutex mutex_;
  // Hashed, not ordered: a busy KBS holds tens of thousands of live sessions, and each
  // handshake looks one up three times.
  std::unordered_map<std::string, Session, TextHash, std::equal_to<>> sessions_;  // mutex_
  std::unordered_set<std::string, TextHash, std::equal_to<>> nonces_;             // mutex_
};

}  // namespace

std::unique_ptr<store::KbsStore> withMemorySessions(std::unique_ptr<store::KbsStore> inner,
                                                    store::Clock clock) {
  if (!clock) {
    clock = std::chrono::system_clock::now;
  }
  return std::make_unique<MemorySessionStore>(std::move(inner), std::move(clock));
}

}  // namespace cocoon::kbs
