// SPDX-License-Identifier: Apache-2.0
// Kata OCI messages to runtime-spec JSON, and the request-into-image spec merge.
#include "agent/oci_spec.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace cocoon::agent {
namespace {

using json::Json;

template <class Repeated>
Json stringArray(const Repeated& values) {
  Json out = Json::array();
  for (const auto& v : values) {
    out.push_back(v);
  }
  return out;
}

void setIfNonEmpty(Json& object, const char* key, const std::string& value) {
  if (!value.empty()) {
    object[key] = value;
  }
}

template <class T>
void setIfNonZero(Json& object, const char* key, T value) {
  if (value != 0) {
    object[key] = value;
  }
}

Json capabilitiesToJson(const grpc::LinuxCapabilities& caps) {
  Json out = Json::object();
  out["bounding"] = stringArray(caps.bounding());
  out["effective"] = stringArray(caps.effective());
  out["inheritable"] = stringArray(caps.inheritable());
  out["permitted"] = stringArray(caps.permitted());
  out["ambient"] = stringArray(caps.ambient());
  return out;
}

Json userToJson(const grpc::User& user) {
  Json out = {{"uid", user.uid()}, {"gid", user.gid()}};
  if (user.additionalgids_size() > 0) {
    out["additionalGids"] = stringArray(user.additionalgids());
  }
  return out;
}

std::string envName(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// Filesystems a container may mount without a host-chosen source.
bool isPseudoFilesystem(std::string_view type) {
  static constexpr std::array<std::string_view, 7> kTypes = {"tmpfs",  "proc",   "sysfs",  "devpts",
                                                             "mqueue", "cgroup", "cgroup2"};
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

bool isBind(const grpc::Mount& mount) {
  return mount.type() == "bind" ||
         std::find(mount.options().begin(), mount.options().end(), "bind") !=
             mount.options().end() ||
         std::find(mount.options().begin(), mount.options().end(), "rbind") !=
             mount.options().end();
}

Result<Json> mountToJson(const grpc::Mount& mount, const MergeOptions& options) {
  if (mount.destination().empty() || mount.destination().front() != '/') {
    return fail(Code::kInvalidArgument, "OCI.Mounts: destination \"{}\" is not absolute",
                mount.destination());
  }
  if (isBind(mount)) {
    const std::filesystem::path source(mount.source());
    const bool inside = source.is_absolute() &&
                        std::any_of(options.sandbox_dirs.begin(), options.sandbox_dirs.end(),
                                    [&](const auto& dir) { return isPathInside(source, dir); });
    if (!inside) {
      return fail(Code::kPermissionDenied,
                  "OCI.Mounts: bind mount at {} has source \"{}\" outside the sandbox",
                  mount.destination(), mount.source());
    }
  } else if (!isPseudoFilesystem(mount.type()) ||
             (!mount.source().empty() && mount.source().front() == '/')) {
    return fail(Code::kPermissionDenied,
                "OCI.Mounts: mount at {} of type \"{}\" (source \"{}\") is not allowed",
                mount.destination(), mount.type(), mount.source());
  }
  Json out = {{"destination", mount.destination()}, {"type", mount.type()}};
  setIfNonEmpty(out, "source", mount.source());
  if (mount.options_size() > 0) {
    out["options"] = stringArray(mount.options());
  }
  return out;
}

}  // namespace

bool isPathInside(const std::filesystem::path& path, const std::filesystem::path& dir) {
  if (!path.is_absolute() || !dir.is_absolute()) {
    return false;
  }
  // lexically_normal keeps a leading "/.." as "/..": such a path cannot be inside.
  const std::filesystem::path p = path.lexically_normal();
  const std::filesystem::path d = dir.lexically_normal();
  auto pi = p.begin();
  for (auto di = d.begin(); di != d.end(); ++di) {
    if (di->empty()) {
      continue;  // the trailing "" of "/a/b/"
    }
    if (pi == p.end() || *pi != *di) {
      return false;
    }
    ++pi;
  }
  return std::none_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; });
}

Json processToJson(const grpc::Process& process) {
  Json out = Json::object();
  out["terminal"] = process.terminal();
  if (process.has_consolesize()) {
    out["consoleSize"] = {{"height", process.consolesize().height()},
                          {"width", process.consolesize().width()}};
  }
  out["user"] = userToJson(process.user());
  setIfNonEmpty(out["user"], "username", process.user().username());
  out["args"] = stringArray(process.args());
  out["env"] = stringArray(process.env());
  out["cwd"] = process.cwd().empty() ? std::string("/") : process.cwd();
  if (process.has_capabilities()) {
    out["capabilities"] = capabilitiesToJson(process.capabilities());
  }
  if (process.rlimits_size() > 0) {
    Json rlimits = Json::array();
    for (const auto& r : process.rlimits()) {
      rlimits.push_back({{"type", r.type()}, {"hard", r.hard()}, {"soft", r.soft()}});
    }
    out["rlimits"] = std::move(rlimits);
  }
  out["noNewPrivileges"] = process.nonewprivileges();
  setIfNonZero(out, "oomScoreAdj", process.oomscoreadj());
  setIfNonEmpty(out, "apparmorProfile", process.apparmorprofile());
  setIfNonEmpty(out, "selinuxLabel", process.selinuxlabel());
  return out;
}

Json resourcesToJson(const grpc::LinuxResources& resources) {
  Json out = Json::object();
  if (resources.has_memory()) {
    const auto& m = resources.memory();
    Json memory = Json::object();
    setIfNonZero(memory, "limit", m.limit());
    setIfNonZero(memory, "reservation", m.reservation());
    setIfNonZero(memory, "swap", m.swap());
    setIfNonZero(memory, "swappiness", m.swappiness());
    if (m.disableoomkiller()) {
      memory["disableOOMKiller"] = true;
    }
    out["memory"] = std::move(memory);
  }
  if (resources.has_cpu()) {
    const auto& c = resources.cpu();
    Json cpu = Json::object();
    setIfNonZero(cpu, "shares", c.shares());
    setIfNonZero(cpu, "quota", c.quota());
    setIfNonZero(cpu, "period", c.period());
    setIfNonEmpty(cpu, "cpus", c.cpus());
    setIfNonEmpty(cpu, "mems", c.mems());
    out["cpu"] = std::move(cpu);
  }
  if (resources.has_pids() && resources.pids().limit() != 0) {
    out["pids"] = {{"limit", resources.pids().limit()}};
  }
  if (resources.devices_size() > 0) {
    Json devices = Json::array();
    for (const auto& d : resources.devices()) {
      Json device = {{"allow", d.allow()}};
      setIfNonEmpty(device, "type", d.type());
      if (d.major() >= 0 && !d.type().empty() && d.type() != "a") {
        device["major"] = d.major();
        device["minor"] = d.minor();
      }
      setIfNonEmpty(device, "access", d.access());
      devices.push_back(std::move(device));
    }
    out["devices"] = std::move(devices);
  }
  return out;
}

Json seccompToJson(const grpc::LinuxSeccomp& seccomp) {
  Json out = {{"defaultAction", seccomp.defaultaction()}};
  if (seccomp.architectures_size() > 0) {
    out["architectures"] = stringArray(seccomp.architectures());
  }
  if (seccomp.flags_size() > 0) {
    out["flags"] = stringArray(seccomp.flags());
  }
  Json syscalls = Json::array();
  for (const auto& s : seccomp.syscalls()) {
    Json syscall = {{"names", stringArray(s.names())}, {"action", s.action()}};
    if (s.has_errnoret()) {
      syscall["errnoRet"] = s.errnoret();
    }
    Json args = Json::array();
    for (const auto& a : s.args()) {
      args.push_back(
          {{"index", a.index()}, {"value", a.value()}, {"valueTwo", a.valuetwo()}, {"op", a.op()}});
    }
    if (!args.empty()) {
      syscall["args"] = std::move(args);
    }
    syscalls.push_back(std::move(syscall));
  }
  if (!syscalls.empty()) {
    out["syscalls"] = std::move(syscalls);
  }
  return out;
}

Result<Json> mergeRequestSpec(Json spec, const grpc::Spec& request, const MergeOptions& options) {
  if (!spec.is_object()) {
    return fail(Code::kInternal, "image runtime spec is not a JSON object");
  }
  const grpc::Linux& linux = request.linux();
  if (linux.devices_size() > 0) {
    return fail(Code::kPermissionDenied, "OCI.Linux.Devices: {} host-chosen devices refused",
                linux.devices_size());
  }
  for (const auto& ns : linux.namespaces()) {
    if (!ns.path().empty()) {
      return fail(Code::kPermissionDenied,
                  "OCI.Linux.Namespaces: joining the {} namespace at \"{}\" refused", ns.type(),
                  ns.path());
    }
  }
  if (linux.cgroupspath().find("..") != std::string::npos) {
    return fail(Code::kInvalidArgument, "OCI.Linux.CgroupsPath \"{}\" contains \"..\"",
                linux.cgroupspath());
  }

  Json& process = spec["process"];
  if (request.has_process()) {
    const grpc::Process& p = request.process();
    if (p.args_size() > 0) {
      process["args"] = stringArray(p.args());
    }
    Json env = process.value("env", Json::array());
    for (const std::string& entry : p.env()) {
      const std::string name = envName(entry);
      auto same = std::find_if(env.begin(), env.end(), [&](const Json& e) {
        return e.is_string() && envName(e.get<std::string>()) == name;
      });
      if (same != env.end()) {
        *same = entry;
      } else {
        env.push_back(entry);
      }
    }
    process["env"] = std::move(env);
    if (!p.cwd().empty()) {
      process["cwd"] = p.cwd();
    }
    process["terminal"] = p.terminal();
    if (p.has_consolesize()) {
      process["consoleSize"] = {{"height", p.consolesize().height()},
                                {"width", p.consolesize().width()}};
    }
    if (p.user().uid() != 0 || p.user().gid() != 0) {
      process["user"] = userToJson(p.user());
    }
  }
  setIfNonEmpty(spec, "hostname", request.hostname());
  if (!request.annotations().empty()) {
    Json annotations = Json::object();
    for (const auto& [key, value] : request.annotations()) {
      annotations[key] = value;
    }
    spec["annotations"] = std::move(annotations);
  }
  spec["root"] = {{"path", "rootfs"}, {"readonly", request.root().readonly()}};

  Json mounts = spec.value("mounts", Json::array());
  for (const auto& mount : request.mounts()) {
    const bool taken = std::any_of(mounts.begin(), mounts.end(), [&](const Json& m) {
      return m.is_object() && m.value("destination", "") == mount.destination();
    });
    if (taken) {
      continue;  // the image spec's default (/proc, /dev, ...) stays
    }
    COCOON_ASSIGN_OR_RETURN(Json m, mountToJson(mount, options));
    mounts.push_back(std::move(m));
  }
  spec["mounts"] = std::move(mounts);

  Json& linux_json = spec["linux"];
  if (linux.has_resources()) {
    linux_json["resources"] = resourcesToJson(linux.resources());
  }
  if (!linux.sysctl().empty()) {
    Json sysctl = Json::object();
    for (const auto& [key, value] : linux.sysctl()) {
      sysctl[key] = value;
    }
    linux_json["sysctl"] = std::move(sysctl);
  }
  if (linux.namespaces_size() > 0) {
    // kata's runtimes leave out the network namespace so containers share the pod's;
    // the policy decides which sets are acceptable (paths were refused above).
    Json namespaces = Json::array();
    for (const auto& ns : linux.namespaces()) {
      namespaces.push_back({{"type", ns.type()}});
    }
    linux_json["namespaces"] = std::move(namespaces);
  }
  setIfNonEmpty(linux_json, "cgroupsPath", linux.cgroupspath());
  if (linux.has_seccomp()) {
    linux_json["seccomp"] = seccompToJson(linux.seccomp());
  }
  return spec;
}

}  // namespace cocoon::agent
