// SPDX-License-Identifier: Apache-2.0
// OrphanReaper: a /proc scan for zombies whose parent is us, and an age rule.
#include "agent/container/internal/reaper.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <string>
#include <string_view>

#include "common/files.h"

namespace cocoon::agent::container::internal {
namespace {

// State and ppid from /proc/<pid>/stat: "pid (comm) S ppid ..."; comm may hold spaces
// and parentheses, so parse after the last ')'.
bool isZombieChildOf(std::string_view stat, pid_t parent) {
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) {
    return false;
  }
  const char state = stat[close + 2];
  std::string_view rest = stat.substr(close + 4);
  long ppid = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  return ec == std::errc() && state == 'Z' && ppid == parent;
}

}  // namespace

std::vector<pid_t> listZombieChildren() {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return out;
  }
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(proc)) {
    long pid = 0;
    const std::string_view name = entry->d_name;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) {
      continue;
    }
    auto stat = readTextFile("/proc/" + std::string(name) + "/stat", 4096);
    if (stat && isZombieChildOf(*stat, self)) {
      out.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(proc);
  return out;
}

OrphanReaper::OrphanReaper()
    : OrphanReaper(listZombieChildren, [](pid_t pid) {
        int status = 0;
        ::waitpid(pid, &status, WNOHANG);
      }) {}

OrphanReaper::OrphanReaper(ZombieLister list, Reap reap)
    : list_(std::move(list)), reap_(std::move(reap)) {}

std::vector<pid_t> OrphanReaper::sweep(Clock::time_point now, const std::set<pid_t>& tracked) {
  std::map<pid_t, Clock::time_point> seen;
  std::vector<pid_t> reaped;
  for (pid_t pid : list_()) {
    if (tracked.count(pid) != 0) {
      continue;
    }
    const auto it = first_seen_.find(pid);
    if (it != first_seen_.end() && now - it->second >= kMinZombieAge) {
      reap_(pid);
      reaped.push_back(pid);
      continue;
    }
    seen.emplace(pid, it != first_seen_.end() ? it->second : now);
  }
  // Pids no longer zombies (reaped elsewhere) are forgotten, so a reused pid starts anew.
  first_seen_ = std::move(seen);
  return reaped;
}

}  // namespace cocoon::agent::container::internal
