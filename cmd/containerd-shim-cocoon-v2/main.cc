// SPDX-License-Identifier: Apache-2.0
// containerd-shim-cocoon-v2: containerd shim v2 that runs each pod in a confidential VM.
// The process protocol and the task service live in src/runtime/shim.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/shim/bootstrap.h"

namespace {

// The binary's own path, for start to run the server (containerd finds us on PATH).
std::filesystem::path selfPath(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(argv0) : self;
}

}  // namespace

int main(int argc, char** argv) {
  namespace shim = cocoon::runtime::shim;
  try {
    auto flags = shim::parseShimFlags(std::vector<std::string>(argv + 1, argv + argc));
    if (!flags) {
      std::fprintf(stderr, "containerd-shim-cocoon-v2: %s\n\n%s", flags.error().message.c_str(),
                   shim::shimUsage().c_str());
      return 2;
    }
    if (flags->help) {
      std::fputs(shim::shimUsage().c_str(), stdout);
      return 0;
    }
    if (flags->version) {
      std::printf("containerd-shim-cocoon-v2 %s\n", COCOON_VERSION);
      return 0;
    }
    const std::filesystem::path self = selfPath(argv[0]);
    if (flags->action == "start") {
      return shim::runStart(*flags, self);
    }
    if (flags->action == "delete") {
      return shim::runDelete(*flags);
    }
    return shim::runServe(*flags, self);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "containerd-shim-cocoon-v2: internal error: %s\n", e.what());
    return 70;
  }
}
