// SPDX-License-Identifier: Apache-2.0
#include "verify/internal/lru_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cocoon::verify::internal {
namespace {

TEST(LruCache, DropsTheLeastRecentlyUsedEntryBeyondCapacity) {
  LruCache<int, std::string> cache(2);
  cache.insert(1, "one");
  cache.insert(2, "two");
  ASSERT_NE(cache.find(1), nullptr);  // 1 is now the most recent
  cache.insert(3, "three");           // drops 2
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(2), nullptr);
  EXPECT_EQ(*cache.find(1), "one");
  EXPECT_EQ(*cache.find(3), "three");
}

TEST(LruCache, ReplacingAnEntryKeepsTheSizeAndEvictedValuesStayUsable) {
  LruCache<int, std::string> cache(1);
  cache.insert(1, "one");
  auto held = cache.find(1);
  cache.insert(1, "uno");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.find(1), "uno");
  cache.insert(2, "two");
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_EQ(*held, "one");  // the caller's copy outlives its eviction
}

TEST(LruCache, KeysOfDifferentPartsDiffer) {
  const Bytes ab = toBytes("ab"), a = toBytes("a"), b = toBytes("b");
  EXPECT_NE(cacheKey({ab}), cacheKey({a, b}));
  EXPECT_NE(cacheKey({a, b}), cacheKey({b, a}));
  EXPECT_EQ(cacheKey({a, b}), cacheKey({a, b}));
}

TEST(LruCache, ConcurrentUseStaysWithinCapacity) {
  LruCache<int, int> cache(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 1000; ++i) {
        cache.insert((t * 1000 + i) % 13, i);
        (void)cache.find(i % 13);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace cocoon::verify::internal
