// SPDX-License-Identifier: Apache-2.0
// OrphanReaper's age rule with a fake zombie list: never a tracked pid, never on first
// sight, and a pid that disappears in between starts over.
#include "agent/container/internal/reaper.h"

#include <gtest/gtest.h>

namespace cocoon::agent::container::internal {
namespace {

using std::chrono::milliseconds;

struct Fake {
  std::vector<pid_t> zombies;
  std::vector<pid_t> reaped;
  OrphanReaper reaper{[this] { return zombies; },
                      [this](pid_t pid) {
                        reaped.push_back(pid);
                        std::erase(zombies, pid);
                      }};
};

TEST(OrphanReaper, ReapsOnlyAfterTwoSweepsASecondApart) {
  Fake f;
  const auto t0 = OrphanReaper::Clock::time_point{} + std::chrono::hours(1);
  f.zombies = {100};
  EXPECT_TRUE(f.reaper.sweep(t0, {}).empty());
  EXPECT_TRUE(f.reaper.sweep(t0 + milliseconds(999), {}).empty());
  EXPECT_EQ(f.reaper.sweep(t0 + milliseconds(1000), {}), std::vector<pid_t>{100});
  EXPECT_EQ(f.reaped, std::vector<pid_t>{100});
}

TEST(OrphanReaper, NeverReapsTrackedPids) {
  Fake f;
  const auto t0 = OrphanReaper::Clock::time_point{} + std::chrono::hours(1);
  f.zombies = {100, 200};
  f.reaper.sweep(t0, {200});
  EXPECT_EQ(f.reaper.sweep(t0 + std::chrono::seconds(5), {200}), std::vector<pid_t>{100});
  EXPECT_EQ(f.zombies, std::vector<pid_t>{200});
}

TEST(OrphanReaper, APidReapedElsewhereStartsOver) {
  Fake f;
  const auto t0 = OrphanReaper::Clock::time_point{} + std::chrono::hours(1);
  f.zombies = {100};
  f.reaper.sweep(t0, {});
  f.zombies = {};  // its owner reaped it
  f.reaper.sweep(t0 + std::chrono::seconds(1), {});
  f.zombies = {100};  // the pid was reused and is a zombie again
  EXPECT_TRUE(f.reaper.sweep(t0 + std::chrono::seconds(2), {}).empty());
  EXPECT_EQ(f.reaper.sweep(t0 + std::chrono::seconds(3), {}), std::vector<pid_t>{100});
}

}  // namespace
}  // namespace cocoon::agent::container::internal
