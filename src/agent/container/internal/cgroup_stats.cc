// SPDX-License-Identifier: Apache-2.0
// Cgroup stats: v2 (cpu.stat, memory.current/max, pids.current/max), then v1 (cpuacct,
// memory, pids) for figures still 0. Parsing is lenient: these files are the kernel's.
#include "agent/container/internal/cgroup_stats.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/files.h"

namespace cocoon::agent::container::internal {
namespace {

constexpr std::size_t kMaxCgroupFile = 64 * 1024;
// cgroup v1 writes "no limit" as a huge page-rounded number (PAGE_COUNTER_MAX pages).
constexpr std::uint64_t kV1NoLimit = std::uint64_t{1} << 62;

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

std::optional<std::uint64_t> toU64(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> readSmall(const std::filesystem::path& path) {
  auto text = readTextFile(path, kMaxCgroupFile);
  if (!text) {
    return std::nullopt;
  }
  return std::move(*text);
}

std::optional<std::uint64_t> readU64(const std::filesystem::path& dir, const char* file) {
  auto text = readSmall(dir / file);
  return text ? toU64(*text) : std::nullopt;
}

// "key value" lines (cpu.stat, cpuacct.stat).
std::optional<std::uint64_t> readKey(const std::filesystem::path& dir, const char* file,
                                     std::string_view key) {
  auto text = readSmall(dir / file);
  if (!text) {
    return std::nullopt;
  }
  for (std::string_view line : split(*text, '\n')) {
    const auto fields = split(line, ' ');
    if (fields.size() == 2 && fields[0] == key) {
      return toU64(fields[1]);
    }
  }
  return std::nullopt;
}

void setIfZero(std::uint64_t& field, std::optional<std::uint64_t> value, std::uint64_t scale = 1) {
  if (field == 0 && value) {
    field = *value * scale;
  }
}

}  // namespace

std::vector<CgroupMembership> parseProcCgroup(std::string_view text) {
  std::vector<CgroupMembership> out;
  for (std::string_view line : split(text, '\n')) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    CgroupMembership m;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty()) {
      for (std::string_view c : split(controllers, ',')) {
        m.controllers.emplace_back(c);
      }
    }
    m.path = std::string(line.substr(second + 1));
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<CgroupMount> parseCgroupMounts(std::string_view mountinfo) {
  std::vector<CgroupMount> out;
  for (std::string_view line : split(mountinfo, '\n')) {
    const std::size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) {
      continue;
    }
    const auto head = split(line.substr(0, dash), ' ');
    const auto tail = split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) {
      continue;
    }
    CgroupMount mount;
    if (tail[0] == "cgroup2") {
      mount.v2 = true;
    } else if (tail[0] == "cgroup") {
      for (std::string_view option : split(tail[2], ',')) {
        if (option != "rw" && option != "ro" && option.find('=') == std::string_view::npos) {
          mount.controllers.emplace_back(option);
        }
      }
    } else {
      continue;
    }
    mount.root = std::string(head[3]);
    mount.mount_point = std::string(head[4]);
    out.push_back(std::move(mount));
  }
  return out;
}

std::map<std::string, std::filesystem::path> cgroupDirs(
    const std::vector<CgroupMembership>& memberships, const std::vector<CgroupMount>& mounts) {
  std::map<std::string, std::filesystem::path> dirs;
  auto place = [](const CgroupMount& mount, const std::string& path) {
    // A mount of a sub-tree (containers, bind mounts) sees paths below its root.
    std::string relative = path;
    if (mount.root != "/" && relative.rfind(mount.root, 0) == 0) {
      relative.erase(0, mount.root.size());
    }
    return mount.mount_point / std::filesystem::path(relative).relative_path();
  };
  for (const CgroupMembership& m : memberships) {
    for (const CgroupMount& mount : mounts) {
      if (m.controllers.empty() && mount.v2) {
        dirs.emplace("", place(mount, m.path));
      }
      for (const std::string& c : m.controllers) {
        if (!mount.v2 && mount.controllers.size() == m.controllers.size() &&
            std::find(mount.controllers.begin(), mount.controllers.end(), c) !=
                mount.controllers.end()) {
          dirs.emplace(c, place(mount, m.path));
        }
      }
    }
  }
  return dirs;
}

ContainerStats readStatsFromDirs(const std::map<std::string, std::filesystem::path>& dirs) {
  ContainerStats s;
  if (auto it = dirs.find(""); it != dirs.end()) {
    const auto& dir = it->second;
    setIfZero(s.cpu_usage_ns, readKey(dir, "cpu.stat", "usage_usec"), 1000);
    setIfZero(s.cpu_user_ns, readKey(dir, "cpu.stat", "user_usec"), 1000);
    setIfZero(s.cpu_system_ns, readKey(dir, "cpu.stat", "system_usec"), 1000);
    setIfZero(s.memory_usage_bytes, readU64(dir, "memory.current"));
    setIfZero(s.memory_limit_bytes, readU64(dir, "memory.max"));  // "max" stays 0
    setIfZero(s.pids_current, readU64(dir, "pids.current"));
    setIfZero(s.pids_limit, readU64(dir, "pids.max"));
  }
  if (auto it = dirs.find("cpuacct"); it != dirs.end()) {
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const std::uint64_t tick_ns =
        ticks > 0 ? 1'000'000'000ULL / static_cast<std::uint64_t>(ticks) : 10'000'000ULL;
    setIfZero(s.cpu_usage_ns, readU64(it->second, "cpuacct.usage"));
    setIfZero(s.cpu_user_ns, readKey(it->second, "cpuacct.stat", "user"), tick_ns);
    setIfZero(s.cpu_system_ns, readKey(it->second, "cpuacct.stat", "system"), tick_ns);
  }
  if (auto it = dirs.find("memory"); it != dirs.end()) {
    setIfZero(s.memory_usage_bytes, readU64(it->second, "memory.usage_in_bytes"));
    auto limit = readU64(it->second, "memory.limit_in_bytes");
    if (limit && *limit < kV1NoLimit) {
      setIfZero(s.memory_limit_bytes, limit);
    }
  }
  if (auto it = dirs.find("pids"); it != dirs.end()) {
    setIfZero(s.pids_current, readU64(it->second, "pids.current"));
    setIfZero(s.pids_limit, readU64(it->second, "pids.max"));
  }
  return s;
}

Result<ContainerStats> readCgroupStats(pid_t pid) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid) + "/cgroup";
  auto memberships = readTextFile(proc, kMaxCgroupFile);
  if (!memberships) {
    if (memberships.error().code == Code::kNotFound) {
      return fail(Code::kNotFound, "process {} is gone: no {}", pid, proc.string());
    }
    return fail(Code::kInternal, "reading {}: {}", proc.string(), memberships.error().message);
  }
  COCOON_ASSIGN_OR_RETURN(std::string mountinfo,
                          readTextFile("/proc/self/mountinfo", std::size_t{4} << 20));
  return readStatsFromDirs(cgroupDirs(parseProcCgroup(*memberships), parseCgroupMounts(mountinfo)));
}

}  // namespace cocoon::agent::container::internal
