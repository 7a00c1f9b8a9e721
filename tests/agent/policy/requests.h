// SPDX-License-Identifier: Apache-2.0
// Real-shaped agent requests for policy tests: what kata's runtime sends for a default
// containerd container, as protobuf JSON with kata's field names.
#pragma once

#include "json/json.h"

namespace cocoon::agent::policy::test {

// A CreateContainerRequest for a plain pod container. The OCI spec is containerd's
// default Unix spec (containerd oci/spec.go populateDefaultUnixSpec: mounts, the 14
// default capabilities, device cgroup "deny all") after kata's constrainGRPCSpec
// (network and cgroup namespaces removed, namespace paths emptied) and kata's mount
// rewriting (/dev/shm and /etc/hosts bind-mounted from /run/kata-containers/).
// Field names: kata agent.proto / oci.proto (Spec fields are CamelCase there, Mount
// fields lower case). proto3 JSON leaves out default values such as false and "".
inline json::Json createContainerRequest() {
  const json::Json caps =
      json::Json::array({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                         "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                         "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"});
  auto mount = [](const char* destination, const char* type, const char* source,
                  json::Json options) {
    return json::Json{{"destination", destination},
                      {"type", type},
                      {"source", source},
                      {"options", std::move(options)}};
  };
  json::Json mounts = json::Json::array({
      mount("/proc", "proc", "proc", json::Json::array({"nosuid", "noexec", "nodev"})),
      mount("/dev", "tmpfs", "tmpfs",
            json::Json::array({"nosuid", "strictatime", "mode=755", "size=65536k"})),
      mount("/dev/pts", "devpts", "devpts",
            json::Json::array(
                {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"})),
      mount("/dev/shm", "bind", "/run/kata-containers/sandbox/shm", json::Json::array({"rbind"})),
      mount("/dev/mqueue", "mqueue", "mqueue", json::Json::array({"nosuid", "noexec", "nodev"})),
      mount("/sys", "sysfs", "sysfs", json::Json::array({"nosuid", "noexec", "nodev", "ro"})),
      mount("/sys/fs/cgroup", "cgroup", "cgroup",
            json::Json::array({"nosuid", "noexec", "nodev", "relatime", "ro"})),
      mount("/etc/hosts", "bind",
            "/run/kata-containers/shared/containers/"
            "8f2c6d0e5e2a4b7f9c1d3e5f7a9b1c3d-5b0c4e7a9f1d2c3b-hosts",
            json::Json::array({"rbind", "rprivate", "ro"})),
  });
  json::Json oci = {
      {"Version", "1.1.0"},
      {"Process",
       {{"User", {{"UID", 0}, {"GID", 0}}},
        {"Args", json::Json::array({"/bin/sh", "-c", "echo hello"})},
        {"Env",
         json::Json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})},
        {"Cwd", "/"},
        {"Capabilities", {{"Bounding", caps}, {"Effective", caps}, {"Permitted", caps}}},
        {"Rlimits", json::Json::array(
                        {json::Json{{"Type", "RLIMIT_NOFILE"}, {"Hard", 1024}, {"Soft", 1024}}})},
        {"NoNewPrivileges", true}}},
      {"Root", {{"Path", "/run/kata-containers/8f2c6d0e5e2a4b7f/rootfs"}}},
      {"Hostname", "web"},
      {"Mounts", std::move(mounts)},
      {"Linux",
       {{"Resources",
         {{"Devices", json::Json::array({json::Json{{"Access", "rwm"}}})},
          {"Memory", {{"Limit", 268435456}}},
          {"CPU", {{"Shares", 2}, {"Period", 100000}}}}},
        {"CgroupsPath", "/kubepods/besteffort/pod1/8f2c6d0e5e2a4b7f"},
        {"Namespaces",
         json::Json::array({json::Json{{"Type", "pid"}}, json::Json{{"Type", "ipc"}},
                            json::Json{{"Type", "uts"}}, json::Json{{"Type", "mount"}}})},
        {"MaskedPaths",
         json::Json::array({"/proc/acpi", "/proc/kcore", "/proc/keys", "/sys/firmware"})},
        {"ReadonlyPaths", json::Json::array({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"})}}},
  };
  return {{"container_id", "8f2c6d0e5e2a4b7f"},
          {"exec_id", "8f2c6d0e5e2a4b7f"},
          {"storages",
           json::Json::array({json::Json{
               {"driver", "image_guest_pull"},
               {"driver_options", json::Json::array({"image_guest_pull={\"metadata\":{}}"})},
               {"source", "docker.io/library/busybox:latest"},
               {"fstype", "overlay"},
               {"mount_point", "/run/kata-containers/8f2c6d0e5e2a4b7f/rootfs"}}})},
          {"OCI", std::move(oci)}};
}

}  // namespace cocoon::agent::policy::test
