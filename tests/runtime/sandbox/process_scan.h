// SPDX-License-Identifier: Apache-2.0
// Test helper: whether anything still runs that names a sandbox's run directory (QEMU and
// the process backend's agent have it on their command lines).
#pragma once

#include <filesystem>
#include <string>

#include "common/files.h"

namespace cocoon::runtime::sandbox::test {

inline bool processMentions(const std::string& needle) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    auto cmdline = readTextFile(entry.path() / "cmdline", 1 << 16);
    if (cmdline && cmdline->find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace cocoon::runtime::sandbox::test
