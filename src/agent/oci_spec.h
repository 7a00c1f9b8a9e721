// SPDX-License-Identifier: Apache-2.0
// The Kata agent API's OCI messages (proto/agent/oci.proto, PascalCase names) as OCI
// runtime-spec JSON, and the merge of a request's spec into the spec made from a pulled
// image: the container's config.json.
// Trust: the request spec is the host's and hostile: only the parts listed at
// mergeRequestSpec are taken from it, and host-chosen mounts, devices and namespace paths
// are refused unless they stay inside the sandbox.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "json/json.h"
#include "proto/agent/agent.pb.h"

namespace cocoon::agent {

// runtime-spec "process" object from a Kata Process (args, env, cwd, terminal,
// consoleSize, user, capabilities, rlimits, noNewPrivileges, oomScoreAdj, apparmor and
// selinux labels); empty and zero fields are left out.
json::Json processToJson(const grpc::Process& process);

// runtime-spec "linux.resources" object (memory, cpu, pids, devices); unset fields left out.
json::Json resourcesToJson(const grpc::LinuxResources& resources);

// runtime-spec "seccomp" object.
json::Json seccompToJson(const grpc::LinuxSeccomp& seccomp);

struct MergeOptions {
  // Host mounts whose source lies inside one of these (lexically, after normalization)
  // are allowed as bind mounts; every other bind mount is refused.
  std::vector<std::filesystem::path> sandbox_dirs;
};

// Merges `request` (CreateContainerRequest.OCI) into `image_spec` (pullImage's config.json)
// and returns the result:
//   process.args  request Args when non-empty, else the image's Entrypoint+Cmd
//   process.env   image env with the request's entries added (request wins per name)
//   process.cwd   request Cwd when set; terminal and consoleSize from the request
//   process.user  request UID/GID when either is non-zero, else the image's user
//   hostname, annotations, linux.resources, linux.sysctl, linux.cgroupsPath, seccomp,
//   root.readonly, linux.namespaces (types only): the request's when set
//   root.path     always the image rootfs ("rootfs")
//   mounts        the image spec's defaults; request mounts to other destinations added:
//                 non-bind pseudo filesystems (tmpfs, proc, sysfs, devpts, mqueue, cgroup*)
//                 with a relative or empty source, binds only from sandbox_dirs.
// Errors: kPermissionDenied naming the mount (by destination) whose source leaves the
// sandbox or whose type is not allowed, a namespace with a path (joining a namespace the
// host chose), or linux devices; kInvalidArgument for a relative mount destination or
// cgroupsPath with "..".
Result<json::Json> mergeRequestSpec(json::Json image_spec, const grpc::Spec& request,
                                    const MergeOptions& options);

// True when `path` (absolute) lies lexically inside `dir` (absolute), without escaping
// through "..": "/a/b/../c" is inside "/a", "/a/../b" is not.
bool isPathInside(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace cocoon::agent
