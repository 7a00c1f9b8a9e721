// SPDX-License-Identifier: Apache-2.0
// A bounded, thread-safe least-recently-used map for what verifiers check once per
// platform (certificate chains, signed collateral) rather than once per piece of evidence.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <list>
#include <map>
#include <memory>
#include <mutex>

#include "common/bytes.h"
#include "crypto/digest.h"

namespace cocoon::verify::internal {

// The cache key of a set of byte strings: SHA-256 over each part's 8-byte big-endian
// length and bytes, so that no two different sequences of parts share a key.
using CacheKey = std::array<std::uint8_t, 32>;

inline CacheKey cacheKey(std::initializer_list<ByteSpan> parts) {
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  for (ByteSpan part : parts) {
    std::array<std::uint8_t, 8> len{};
    for (std::size_t i = 0; i < len.size(); ++i) {
      len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(part.size()) >> (56 - 8 * i));
    }
    h.update(len);
    h.update(part);
  }
  const Bytes d = h.finish();
  CacheKey key{};
  std::copy(d.begin(), d.end(), key.begin());
  return key;
}

// At most `capacity` (>= 1) entries; find() makes an entry the most recent and insert()
// beyond capacity drops the least recent. Values are held as shared_ptr<const V> because
// a caller may still be using an entry that another thread's insert has just evicted.
// Only what was verified goes in: a cache miss always re-runs the full check, so a
// failure is reported exactly as without the cache. Thread-safe.
template <class K, class V>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry for `key`, or null.
  std::shared_ptr<const V> find(const K& key) {
    const std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second.at);
    return it->second.value;
  }

  // Stores (or replaces) the entry for `key` as the most recent; returns it.
  std::shared_ptr<const V> insert(const K& key, V value) {
    auto shared = std::make_shared<const V>(std::move(value));
    const std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second.value = shared;
      order_.splice(order_.begin(), order_, it->second.at);
      return shared;
    }
    if (map_.size() >= capacity_) {
      map_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    map_.emplace(key, Slot{shared, order_.begin()});
    return shared;
  }

  std::size_t size() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }

 private:
  struct Slot {
    std::shared_ptr<const V> value;
    typename std::list<K>::iterator at;
  };
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::list<K> order_;     // most recent first; guarded by mu_
  std::map<K, Slot> map_;  // guarded by mu_
};

}  // namespace cocoon::verify::internal
