// SPDX-License-Identifier: Apache-2.0
// In-memory RCAR sessions over a persistent store.
#include "kbs/memory_sessions.h"

#include <map>
#include <mutex>
#include <set>

namespace cocoon::kbs {
namespace {

using store::Session;
using store::SessionState;

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
    return inner_->putPolicy(kind, id, body);
  }
  Result<std::string> getPolicy(store::PolicyKind kind, std::string_view id) override {
    return inner_->getPolicy(kind, id);
  }
  Status registerReferenceValues(std::string_view name,
                                 const std::vector<store::ReferenceValue>& values,
                                 store::ReferenceValueMode mode) override {
    return inner_->registerReferenceValues(name, values, mode);
  }
  Result<std::vector<store::ReferenceValue>> getReferenceValues(std::string_view name) override {
    return inner_->getReferenceValues(name);
  }
  Result<std::map<std::string, std::vector<store::ReferenceValue>>> listReferenceValues() override {
    return inner_->listReferenceValues();
  }
  Status deleteReferenceValues(std::string_view name) override {
    return inner_->deleteReferenceValues(name);
  }

  Status createSession(const Session& s) override {
    std::lock_guard lock(mutex_);
    if (sessions_.contains(s.id) || nonces_.contains(s.nonce)) {
      return fail(Code::kAlreadyExists, "a session with this id or nonce is already stored");
    }
    sessions_.emplace(s.id, s);
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
  std::unique_ptr<store::KbsStore> inner_;
  store::Clock clock_;
  std::mutex mutex_;
  std::map<std::string, Session, std::less<>> sessions_;  // guarded by mutex_
  std::set<std::string, std::less<>> nonces_;             // guarded by mutex_
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
