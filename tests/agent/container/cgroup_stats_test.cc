// SPDX-License-Identifier: Apache-2.0
// Cgroup stats: /proc/<pid>/cgroup and mountinfo parsing on a hybrid host's layout, and
// reading v2 then v1 files from a fake cgroup tree.
#include "agent/container/internal/cgroup_stats.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/files.h"

namespace cocoon::agent::container::internal {
namespace {

// Lines as this project's test hosts show them (cgroup v1 + a v2 hierarchy, "hybrid").
constexpr std::string_view kProcCgroup =
    "8:pids:/ctr\n4:memory:/ctr\n2:cpu,cpuacct:/ctr\n1:name=systemd:/ctr\n0::/ctr\n";
constexpr std::string_view kMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupStats, ParsesProcCgroupLines) {
  const auto m = parseProcCgroup(kProcCgroup);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(m[2].path, "/ctr");
  EXPECT_TRUE(m[4].controllers.empty());
}

TEST(CgroupStats, MapsHierarchiesToDirectories) {
  const auto dirs = cgroupDirs(parseProcCgroup(kProcCgroup), parseCgroupMounts(kMountinfo));
  EXPECT_EQ(dirs.at(""), "/sys/fs/cgroup/unified/ctr");
  EXPECT_EQ(dirs.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/ctr");
  EXPECT_EQ(dirs.at("memory"), "/sys/fs/cgroup/memory/ctr");
  EXPECT_EQ(dirs.at("pids"), "/sys/fs/cgroup/pids/ctr");
  EXPECT_EQ(dirs.count("name=systemd"), 0u);
}

TEST(CgroupStats, PureV2MountOfASubtree) {
  const auto dirs = cgroupDirs(parseProcCgroup("0::/kubepods/ctr\n"),
                               parseCgroupMounts("30 1 0:26 /kubepods /sys/fs/cgroup rw - "
                                                 "cgroup2 cgroup2 rw,nsdelegate\n"));
  EXPECT_EQ(dirs.at(""), "/sys/fs/cgroup/ctr");
}

void put(const std::filesystem::path& file, std::string_view text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

TEST(CgroupStats, ReadsV2FirstThenV1ForTheRest) {
  auto tmp = TempDir::create("cgroup-test");
  ASSERT_TRUE(tmp) << tmp.error().toString();
  const auto v2 = tmp->path() / "v2";
  const auto mem = tmp->path() / "memory";
  const auto pids = tmp->path() / "pids";
  put(v2 / "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  put(v2 / "memory.max", "max\n");
  put(mem / "memory.usage_in_bytes", "4096\n");
  put(mem / "memory.limit_in_bytes", "9223372036854771712\n");  // v1 "no limit"
  put(pids / "pids.current", "3\n");
  put(pids / "pids.max", "max\n");
  const ContainerStats s = readStatsFromDirs({{"", v2}, {"memory", mem}, {"pids", pids}});
  EXPECT_EQ(s.cpu_usage_ns, 1'500'000u);
  EXPECT_EQ(s.cpu_user_ns, 1'000'000u);
  EXPECT_EQ(s.cpu_system_ns, 500'000u);
  EXPECT_EQ(s.memory_usage_bytes, 4096u);
  EXPECT_EQ(s.memory_limit_bytes, 0u);
  EXPECT_EQ(s.pids_current, 3u);
  EXPECT_EQ(s.pids_limit, 0u);
}

TEST(CgroupStats, GoneProcessIsNotFound) {
  // Pid numbers stop below 2^22 (PID_MAX_LIMIT), so this one never exists.
  auto s = readCgroupStats(1 << 23);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kNotFound);
}

}  // namespace
}  // namespace cocoon::agent::container::internal
