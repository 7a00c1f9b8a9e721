// SPDX-License-Identifier: Apache-2.0
// cocoon-kbs: key broker and attestation service for workload owners
// So far only --help and --version exist: the service itself comes with issue #5.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "cocoon-kbs — key broker and attestation service for workload owners.\n"
        "Not functional yet: only --help and --version exist (see issue #5)."};
    app.set_version_flag("--version", std::string("cocoon-kbs ") + COCOON_VERSION);
    CLI11_PARSE(app, argc, argv);
    std::fprintf(stderr, "cocoon-kbs: not functional yet (issue #5); see --help\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon-kbs: internal error: %s\n", e.what());
    return 70;
  }
}
