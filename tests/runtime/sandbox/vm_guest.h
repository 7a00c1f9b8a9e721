// SPDX-License-Identifier: Apache-2.0
// The guest and VM settings the QEMU tests share (sandbox_vm label): one guest built from
// this build's cocoon-agent and crun, booted under TCG with the AgentEnv registry forwarded.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "runtime/config/config.h"
#include "runtime/vm/vm_config.h"

namespace cocoon::runtime::sandbox::test {

// Where the guest reaches the test registry (the guest side of registryForward()).
inline constexpr char kGuestRegistry[] = "10.0.2.100:5000";

// The guest's directory in this build tree (vmlinux, initrd.img, manifest.txt).
std::filesystem::path testGuestDir();

// Builds the guest once per build tree (again when the agent or guest/ scripts are newer):
// the agent's baked config marks kGuestRegistry insecure and its policy is permissive.
// Serialized across test processes by a lock file. nullopt: built; "SKIP: ..." when the
// Debian archive is unreachable; else what failed.
std::optional<std::string> buildTestGuest();

// The VM config of these tests: vm backend, TCG (this host's KVM cannot boot stock
// kernels), the test guest, 1 GiB, tee none, a scratch disk of `scratch_mib`.
config::RuntimeConfig vmTestConfig(std::uint32_t scratch_mib = 64);

// An AgentEnv image "127.0.0.1:PORT/repo:tag" as the guest names it (kGuestRegistry/...),
// and the forward that takes the guest there.
struct GuestImage {
  std::string image;
  vm::GuestForward forward;
};
GuestImage guestImage(const std::string& host_image);

}  // namespace cocoon::runtime::sandbox::test
