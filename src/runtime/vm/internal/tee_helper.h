// SPDX-License-Identifier: Apache-2.0
// The helper process a TEE backend may need next to QEMU (vtpm: swtpm), started before
// QEMU and ready once the sockets QEMU will connect to exist.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/tee/qemu_tee_config.h"
#include "runtime/vm/internal/child_process.h"

namespace cocoon::runtime::vm::internal {

// The unix socket paths QEMU connects to as a client: `path=` of every `-chardev socket`
// in `arguments` without server=on (QEMU's ",," escape undone).
std::vector<std::filesystem::path> clientSocketPaths(const std::vector<std::string>& arguments);

// Copies tee.helper_state_template's regular files (but .lock) into tee.helper_state_dir
// when set, starts tee.helper_command (stdout and stderr appended to `log`), then waits
// until every clientSocketPaths(tee.arguments) exists.
// Errors: kFailedPrecondition for a template that cannot be listed or holds no file, the
// file reads' and writes'; those of ChildProcess::spawn; kUnavailable with the log when the helper
// exits first; kDeadlineExceeded naming the missing socket at `deadline`.
Result<ChildProcess> startTeeHelper(const tee::QemuTeeConfig& tee, const std::filesystem::path& log,
                                    std::chrono::steady_clock::time_point deadline);

}  // namespace cocoon::runtime::vm::internal
