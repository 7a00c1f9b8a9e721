// SPDX-License-Identifier: Apache-2.0
// A container's resource figures from its cgroup files: cgroup v2 first (our guests),
// then the cgroup v1 controllers of hybrid hosts for the figures v2 does not give.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/container/supervisor.h"
#include "common/result.h"

namespace cocoon::agent::container::internal {

// One cgroup hierarchy the process belongs to, from /proc/<pid>/cgroup: `controllers`
// is empty for the v2 unified hierarchy ("0::/path").
struct CgroupMembership {
  std::vector<std::string> controllers;
  std::string path;
};
std::vector<CgroupMembership> parseProcCgroup(std::string_view text);

// A cgroup mount from /proc/self/mountinfo: v2 has no controllers listed.
struct CgroupMount {
  bool v2 = false;
  std::vector<std::string> controllers;  // v1: cpu, cpuacct, memory, pids, ...
  std::string root;                      // the mount's root inside the hierarchy
  std::filesystem::path mount_point;
};
std::vector<CgroupMount> parseCgroupMounts(std::string_view mountinfo);

// The directory of each hierarchy the process belongs to: "" for v2, else each v1
// controller name. Missing mounts are skipped.
std::map<std::string, std::filesystem::path> cgroupDirs(
    const std::vector<CgroupMembership>& memberships, const std::vector<CgroupMount>& mounts);

// Reads the figures from the directories cgroupDirs() found (values whose files do not
// exist stay 0). Never fails on a missing file.
ContainerStats readStatsFromDirs(const std::map<std::string, std::filesystem::path>& dirs);

// For a live pid. Errors: kNotFound when /proc/<pid>/cgroup is gone (the process
// exited), kInternal when it cannot be read.
Result<ContainerStats> readCgroupStats(pid_t pid);

}  // namespace cocoon::agent::container::internal
