// SPDX-License-Identifier: Apache-2.0
// The two sandbox backends behind startSandbox, given a checked spec whose run_dir
// startSandbox has created.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "common/result.h"
#include "runtime/config/config.h"
#include "runtime/sandbox/sandbox.h"

namespace cocoon::runtime::sandbox::internal {

// What startSandbox resolved before picking a backend.
struct StartContext {
  std::chrono::steady_clock::time_point began;
  std::filesystem::path console_log;  // resolved (never empty)
};

// cocoon-agent as a host process. Errors: as startSandbox's (kNotFound for the binary).
Result<std::unique_ptr<Sandbox>> startProcessSandbox(const config::RuntimeConfig& config,
                                                     const SandboxSpec& spec,
                                                     const StartContext& context);

// QEMU with the chosen TEE. Errors: as startSandbox's.
Result<std::unique_ptr<Sandbox>> startVmSandbox(const config::RuntimeConfig& config,
                                                const SandboxSpec& spec,
                                                const StartContext& context);

// The agent binary of the process backend: `configured` when set (kNotFound when it is not
// an executable file), else cocoon-agent next to `self_dir`, else in PATH.
Result<std::filesystem::path> findAgentBinary(const std::filesystem::path& configured,
                                              const std::filesystem::path& self_dir);

// Removes run_dir entirely. Errors: kInternal naming what could not be removed.
Status removeRunDir(const std::filesystem::path& run_dir);

}  // namespace cocoon::runtime::sandbox::internal
