// SPDX-License-Identifier: Apache-2.0
// The VM backend: QEMU with the chosen TEE, cocoon-agent inside, reached over virtio-serial.
#include "runtime/sandbox/internal/backends.h"

namespace cocoon::runtime::sandbox::internal {

Result<std::unique_ptr<Sandbox>> startVmSandbox(const config::RuntimeConfig& /*config*/,
                                                const SandboxSpec& spec,
                                                const StartContext& /*context*/) {
  return fail(Code::kUnimplemented, "sandbox {}: the vm backend is not built yet", spec.id);
}

}  // namespace cocoon::runtime::sandbox::internal
