// SPDX-License-Identifier: Apache-2.0
// OrphanReaper: reaps zombie children that nobody tracks (orphans re-parented to the
// agent as subreaper or PID 1), but only after seeing each on two sweeps at least
// kMinZombieAge apart, so a pid that another component is about to reap is never taken.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <vector>

namespace cocoon::agent::container::internal {

class OrphanReaper {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kMinZombieAge{1};

  // Zombie children of this process right now (tests inject a fake list).
  using ZombieLister = std::function<std::vector<pid_t>()>;
  // Reaps one pid (tests inject a fake).
  using Reap = std::function<void(pid_t)>;

  OrphanReaper();  // the real /proc scan and waitpid
  OrphanReaper(ZombieLister list, Reap reap);

  // One sweep at `now`: pids in `tracked` are never reaped. Returns the pids reaped.
  std::vector<pid_t> sweep(Clock::time_point now, const std::set<pid_t>& tracked);

 private:
  ZombieLister list_;
  Reap reap_;
  std::map<pid_t, Clock::time_point> first_seen_;
};

// Zombie children of the calling process (reads /proc/<pid>/stat for every pid).
std::vector<pid_t> listZombieChildren();

}  // namespace cocoon::agent::container::internal
