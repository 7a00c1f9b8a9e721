// SPDX-License-Identifier: Apache-2.0
// The built-in agent policies, written in the policy language itself so that they read
// (and are tested) like any owner's policy (docs/agent-policy.md shows them).
#include "agent/policy/agent_policy.h"

namespace cocoon::agent::policy {

// Field names are kata's (agent.proto, oci.proto) as protobuf JSON with the proto names.
// Every deny rule is written so that a missing or oversized value denies rather than
// slips through (a regex never matches input over 4 KiB, so paths are checked with an
// allow-pattern under "not").
std::string_view confidentialDefaultPolicyText() {
  return R"json({
  "version": 1,
  "id": "confidential-default",
  "description": "lifecycle allowed; exec, logs, policy changes and privileged containers denied",
  "default": "allow",
  "rules": [
    {"id": "deny-exec", "requests": ["ExecProcess"], "effect": "deny",
     "reason": "running a process the host chose inside a confidential container"},
    {"id": "deny-read-output", "requests": ["ReadStdout", "ReadStderr"], "effect": "deny",
     "reason": "container output can leak the workload's data to the host"},
    {"id": "deny-set-policy", "requests": ["SetPolicy"], "effect": "deny",
     "reason": "the host may not replace the owner's policy"},
    {"id": "deny-guest-hooks", "requests": ["CreateSandbox"], "effect": "deny",
     "when": {"all": [{"exists": "/guest_hook_path"},
                      {"not": {"eq": [{"claim": "/guest_hook_path"}, ""]}}]},
     "reason": "guest OCI hooks run programs outside any container"},
    {"id": "deny-kernel-modules", "requests": ["CreateSandbox"], "effect": "deny",
     "when": {"exists": "/kernel_modules/0"},
     "reason": "the host may not load kernel modules or choose their parameters"},
    {"id": "deny-oci-hooks", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"any": [{"exists": "/OCI/Hooks/Prestart/0"}, {"exists": "/OCI/Hooks/Poststart/0"},
                      {"exists": "/OCI/Hooks/Poststop/0"}]},
     "reason": "OCI hooks run host-chosen programs outside the container"},
    {"id": "deny-host-namespaces", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"any": [
       {"not": {"some": ["/OCI/Linux/Namespaces", {"eq": [{"claim": "@/Type"}, "mount"]}]}},
       {"not": {"some": ["/OCI/Linux/Namespaces", {"eq": [{"claim": "@/Type"}, "ipc"]}]}},
       {"not": {"some": ["/OCI/Linux/Namespaces", {"eq": [{"claim": "@/Type"}, "uts"]}]}},
       {"all": [{"not": {"eq": [{"claim": "/sandbox_pidns"}, true]}},
                {"not": {"some": ["/OCI/Linux/Namespaces",
                                  {"eq": [{"claim": "@/Type"}, "pid"]}]}}]}]},
     "reason": "the container would share the guest's mount, ipc, uts or pid namespace"},
    {"id": "deny-namespace-paths", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Linux/Namespaces",
                       {"all": [{"exists": "@/Path"}, {"not": {"eq": [{"claim": "@/Path"}, ""]}}]}]},
     "reason": "the container would join an existing namespace by path"},
    {"id": "deny-capabilities", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Process/Capabilities", {"some": ["@", {"not": {"in": [{"claim": "@"},
       ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]]}}]}]},
     "reason": "capabilities beyond the container default set"},
    {"id": "deny-devices", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"any": [{"exists": "/OCI/Linux/Devices/0"}, {"exists": "/devices/0"}]},
     "reason": "device nodes in a confidential container"},
    {"id": "deny-all-devices-cgroup", "requests": ["CreateContainer", "UpdateContainer"],
     "effect": "deny",
     "when": {"any": [
       {"some": ["/OCI/Linux/Resources/Devices",
                 {"all": [{"eq": [{"claim": "@/Allow"}, true]},
                          {"any": [{"not": {"exists": "@/Type"}},
                                   {"in": [{"claim": "@/Type"}, ["", "a"]]}]}]}]},
       {"some": ["/resources/Devices",
                 {"all": [{"eq": [{"claim": "@/Allow"}, true]},
                          {"any": [{"not": {"exists": "@/Type"}},
                                   {"in": [{"claim": "@/Type"}, ["", "a"]]}]}]}]}]},
     "reason": "the device cgroup would allow every device"},
    {"id": "deny-bind-outside-sandbox", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Mounts", {"all": [
       {"any": [{"eq": [{"claim": "@/type"}, "bind"]}, {"in": ["bind", {"claim": "@/options"}]},
                {"in": ["rbind", {"claim": "@/options"}]}]},
       {"not": {"regex": [{"claim": "@/source"},
         "/run/kata-containers/([^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+)(/([^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+))*"]}}]}]},
     "reason": "a bind mount from outside the sandbox's storage (/run/kata-containers/)"},
    {"id": "deny-writable-sysfs", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Mounts", {"all": [
       {"in": [{"claim": "@/type"}, ["sysfs", "cgroup", "cgroup2"]]},
       {"not": {"in": ["ro", {"claim": "@/options"}]}}]}]},
     "reason": "sysfs or cgroupfs mounted writable"},
    {"id": "deny-proc-elsewhere", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Mounts", {"all": [
       {"eq": [{"claim": "@/type"}, "proc"]},
       {"not": {"eq": [{"claim": "@/destination"}, "/proc"]}}]}]},
     "reason": "proc mounted somewhere other than /proc"},
    {"id": "deny-mount-types", "requests": ["CreateContainer"], "effect": "deny",
     "when": {"some": ["/OCI/Mounts", {"all": [
       {"not": {"in": [{"claim": "@/type"},
                       ["bind", "proc", "sysfs", "cgroup", "cgroup2", "tmpfs", "devpts", "mqueue"]]}},
       {"not": {"in": ["bind", {"claim": "@/options"}]}},
       {"not": {"in": ["rbind", {"claim": "@/options"}]}}]}]},
     "reason": "a mount of a filesystem type other than bind, proc, sysfs, cgroup, tmpfs, devpts or mqueue"}
  ]
})json";
}

std::string_view permissiveDevelopmentPolicyText() {
  return R"json({
  "version": 1,
  "id": "permissive-development",
  "description": "allows every request; development only, never for confidential workloads",
  "default": "allow",
  "rules": []
})json";
}

}  // namespace cocoon::agent::policy
