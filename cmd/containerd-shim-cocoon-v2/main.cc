// SPDX-License-Identifier: Apache-2.0
// containerd-shim-cocoon-v2: containerd shim v2 that runs containers in confidential VMs
// So far only --help and --version exist: the service itself comes with issue #9.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "containerd-shim-cocoon-v2 — containerd shim v2 that runs containers in confidential VMs.\n"
        "Not functional yet: only --help and --version exist (see issue #9)."};
    app.set_version_flag("--version", std::string("containerd-shim-cocoon-v2 ") + COCOON_VERSION);
    CLI11_PARSE(app, argc, argv);
    std::fprintf(stderr, "containerd-shim-cocoon-v2: not functional yet (issue #9); see --help\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "containerd-shim-cocoon-v2: internal error: %s\n", e.what());
    return 70;
  }
}
