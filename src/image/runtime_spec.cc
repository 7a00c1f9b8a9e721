// SPDX-License-Identifier: Apache-2.0
// Image config -> OCI runtime spec, and image user resolution.
#include "image/runtime_spec.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <optional>

#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::image {
namespace {

constexpr std::size_t kMaxAccountFileBytes = 4 << 20;
constexpr std::uint32_t kMaxId = 0xFFFFFFFEu;  // (uid_t)-1 means "no change" to the kernel
constexpr std::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::optional<std::uint32_t> parseId(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > kMaxId) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

bool isNumeric(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Reads <root>/<rel> resolving every component inside root (symlinks cannot leave it).
// A missing file reads as empty.
Result<std::string> readInRoot(const std::filesystem::path& root, const char* rel) {
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    return fail(errnoError(errno, "opening rootfs " + root.string()));
  }
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), rel, &how, sizeof how)));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::string();
    }
    return fail(errnoError(errno, fmt::format("opening {} in the rootfs", rel)));
  }
  std::string text;
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errnoError(errno, fmt::format("reading {} in the rootfs", rel)));
    }
    if (n == 0) {
      return text;
    }
    if (text.size() + static_cast<std::size_t>(n) > kMaxAccountFileBytes) {
      return fail(Code::kResourceExhausted, "{} in the rootfs is larger than {} bytes", rel,
                  kMaxAccountFileBytes);
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
}

// The colon-separated fields of one line of an /etc/passwd-style file.
std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    auto colon = line.find(':', start);
    fields.push_back(line.substr(start, colon - start));
    if (colon == std::string_view::npos) {
      return fields;
    }
    start = colon + 1;
  }
}

// Calls fn(fields) for each well-formed line (at least `min_fields`); others are skipped
// as the C library skips them.
template <class Fn>
void forEachEntry(std::string_view text, std::size_t min_fields, Fn&& fn) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto fields = splitFields(line);
    if (fields.size() >= min_fields && fn(fields)) {
      return;
    }
  }
}

struct PasswdEntry {
  std::string name;
  std::uint32_t uid;
  std::uint32_t gid;
};

std::optional<PasswdEntry> findPasswd(std::string_view passwd, std::string_view user) {
  std::optional<PasswdEntry> found;
  bool by_id = isNumeric(user);
  forEachEntry(passwd, 4, [&](const std::vector<std::string_view>& f) {
    auto uid = parseId(f[2]);
    auto gid = parseId(f[3]);
    if (!uid || !gid) {
      return false;
    }
    if (by_id ? f[2] == user : f[0] == user) {
      found = PasswdEntry{std::string(f[0]), *uid, *gid};
      return true;
    }
    return false;
  });
  return found;
}

std::optional<std::uint32_t> findGroup(std::string_view group_file, std::string_view group) {
  std::optional<std::uint32_t> found;
  forEachEntry(group_file, 3, [&](const std::vector<std::string_view>& f) {
    if (f[0] == group) {
      found = parseId(f[2]);
      return found.has_value();
    }
    return false;
  });
  return found;
}

std::vector<std::uint32_t> supplementaryGroups(std::string_view group_file, std::string_view name,
                                               std::uint32_t primary) {
  std::vector<std::uint32_t> gids;
  forEachEntry(group_file, 4, [&](const std::vector<std::string_view>& f) {
    auto gid = parseId(f[2]);
    std::string_view members = f[3];
    while (gid && *gid != primary && !members.empty()) {
      auto comma = members.find(',');
      std::string_view m = members.substr(0, comma);
      members = comma == std::string_view::npos ? std::string_view() : members.substr(comma + 1);
      if (m == name) {
        gids.push_back(*gid);
        break;
      }
    }
    return false;
  });
  return gids;
}

json::Json mount(std::string_view destination, std::string_view type, std::string_view source,
                 std::vector<std::string> options) {
  return {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

}  // namespace

Result<ProcessUser> resolveImageUser(std::string_view user, const std::filesystem::path& rootfs) {
  ProcessUser out;
  if (user.empty()) {
    user = "0";
  }
  auto colon = user.find(':');
  std::string_view user_part = user.substr(0, colon);
  std::string_view group_part =
      colon == std::string_view::npos ? std::string_view() : user.substr(colon + 1);
  if (user_part.empty() || (colon != std::string_view::npos && group_part.empty())) {
    return fail(Code::kInvalidArgument, "image User '{}' is malformed (expected user[:group])",
                user);
  }
  COCOON_ASSIGN_OR_RETURN(std::string passwd, readInRoot(rootfs, "/etc/passwd"));
  COCOON_ASSIGN_OR_RETURN(std::string groups, readInRoot(rootfs, "/etc/group"));

  std::string name;
  auto entry = findPasswd(passwd, user_part);
  if (entry) {
    out.uid = entry->uid;
    out.gid = entry->gid;
    name = entry->name;
  } else if (isNumeric(user_part)) {
    auto uid = parseId(user_part);
    if (!uid) {
      return fail(Code::kInvalidArgument, "image User '{}': uid out of range", user);
    }
    out.uid = *uid;
  } else {
    return fail(Code::kNotFound, "image User '{}': no user '{}' in the image's /etc/passwd", user,
                user_part);
  }

  if (!group_part.empty()) {
    if (isNumeric(group_part)) {
      auto gid = parseId(group_part);
      if (!gid) {
        return fail(Code::kInvalidArgument, "image User '{}': gid out of range", user);
      }
      out.gid = *gid;
    } else {
      auto gid = findGroup(groups, group_part);
      if (!gid) {
        return fail(Code::kNotFound, "image User '{}': no group '{}' in the image's /etc/group",
                    user, group_part);
      }
      out.gid = *gid;
    }
  }
  if (!name.empty()) {
    out.additional_gids = supplementaryGroups(groups, name, out.gid);
  }
  return out;
}

Result<json::Json> makeRuntimeSpec(const oci::ImageConfig& config, const ProcessUser& user,
                                   const RuntimeSpecOptions& options) {
  const auto& c = config.config;
  std::vector<std::string> args = c.entrypoint;
  args.insert(args.end(), c.cmd.begin(), c.cmd.end());
  if (args.empty()) {
    return fail(Code::kInvalidArgument,
                "the image config has neither Entrypoint nor Cmd: nothing to run");
  }
  std::string cwd = c.working_dir.empty() ? "/" : c.working_dir;
  if (cwd.front() != '/') {
    return fail(Code::kInvalidArgument, "the image WorkingDir '{}' is not an absolute path", cwd);
  }
  std::vector<std::string> env = c.env;
  bool has_path = false;
  for (const auto& e : env) {
    has_path = has_path || e.starts_with("PATH=");
  }
  if (!has_path) {
    env.insert(env.begin(), std::string(kDefaultPath));
  }
  // containerd's default capability set (oci/spec.go defaultUnixCaps).
  const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  json::Json process = {
      {"terminal", options.terminal},
      {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}}},
      {"args", args},
      {"env", env},
      {"cwd", cwd},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"rlimits", json::Json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
  json::Json mounts = json::Json::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
  json::Json namespaces = json::Json::array();
  for (const char* ns : {"pid", "ipc", "uts", "mount", "network"}) {
    namespaces.push_back({{"type", ns}});
  }
  json::Json linux_section = {
      {"namespaces", namespaces},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  json::Json spec = {
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", options.rootfs_path}, {"readonly", options.readonly_rootfs}}},
      {"mounts", mounts},
      {"linux", linux_section},
  };
  if (!options.hostname.empty()) {
    spec["hostname"] = options.hostname;
  }
  return spec;
}

}  // namespace cocoon::image
