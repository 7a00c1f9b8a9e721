// SPDX-License-Identifier: Apache-2.0
// What the shim takes from an OCI bundle that containerd prepared: the image the guest
// must pull (from annotations: the host never pulls), the process to run, and the CRI
// pod structure (sandbox or container, and which sandbox).
// Trust: config.json is written by containerd from the user's or kubelet's request; it is
// parsed with limits and every field is type-checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::runtime::shim {

// Annotations the shim reads.
// The image a CRI container runs (kubelet -> containerd CRI plugin).
inline constexpr std::string_view kCriImageName = "io.kubernetes.cri.image-name";
// "sandbox" for a pod's pause container, "container" for the others.
inline constexpr std::string_view kCriContainerType = "io.kubernetes.cri.container-type";
// The pod a CRI container belongs to.
inline constexpr std::string_view kCriSandboxId = "io.kubernetes.cri.sandbox-id";
// The image for `ctr run --annotation io.cocoon.image=REF --rootfs DIR ...`, where no CRI
// annotation exists (ctr does not put the image name in config.json).
inline constexpr std::string_view kCocoonImage = "io.cocoon.image";

// config.json larger than this is refused.
inline constexpr std::size_t kMaxConfigJson = std::size_t{4} << 20;

struct BundleProcess {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  bool terminal = false;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

struct BundleInfo {
  // The image reference for the guest pull; empty only for a CRI sandbox (pause)
  // container, which runs nothing in the guest.
  std::string image;
  // True for a CRI pod's sandbox container.
  bool is_pod_sandbox = false;
  // The sandbox this container joins: the CRI sandbox id, else the container's own id.
  std::string sandbox_id;
  std::string hostname;
  BundleProcess process;
  // The TOML of the init-data annotation (kata's
  // io.katacontainers.config.hypervisor.cc_init_data, runtime/tee/initdata.h), decoded
  // and checked to parse; empty when absent. The shim uses the sandbox's first
  // container's.
  std::string initdata_toml;
};

// Parses config.json's text for the container `id`.
// Errors (kInvalidArgument, naming the field): not JSON or not an object; a wrong type in
// process (args, env, cwd, terminal, user.uid/gid), hostname or annotations; no image
// annotation on a container that is not a pod sandbox (the message says how to give one);
// an init-data annotation that does not decode or parse (the message names the annotation
// and the problem; kResourceExhausted over init-data's size caps).
Result<BundleInfo> parseBundleConfig(std::string_view config_json, std::string_view id);

// Parses an OCI runtime-spec Process object (JSON), as containerd sends it for an exec.
// Errors: kInvalidArgument naming the field.
Result<BundleProcess> parseProcessJson(std::string_view process_json);

// The resource limits of an OCI runtime-spec LinuxResources object (JSON), as containerd
// sends them for Update: memory, CPU and pids. 0 / empty = not set. Other members
// (devices, blockIO, hugepages, network) are not applied in the guest and are ignored.
struct BundleResources {
  std::int64_t memory_limit = 0;
  std::int64_t memory_reservation = 0;
  std::int64_t memory_swap = 0;
  std::uint64_t cpu_shares = 0;
  std::int64_t cpu_quota = 0;
  std::uint64_t cpu_period = 0;
  std::string cpu_cpus;
  std::string cpu_mems;
  std::int64_t pids_limit = 0;
};

// Errors: kInvalidArgument naming the member with the wrong type or range.
Result<BundleResources> parseResourcesJson(std::string_view resources_json);

// Reads <bundle>/config.json and parses it (above). Errors: kNotFound when there is no
// config.json; those of parseBundleConfig, prefixed with the file's path.
Result<BundleInfo> readBundle(const std::filesystem::path& bundle, std::string_view id);

// The sandbox's directory name under the sandboxes directory: the id itself when it is
// 1..64 of [A-Za-z0-9_.-] (and not "." or ".."), else the first 64 hex digits of its
// SHA-256 (containerd ids may be 76 characters long).
std::string sandboxKey(std::string_view sandbox_id);

}  // namespace cocoon::runtime::shim
