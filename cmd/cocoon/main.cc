// SPDX-License-Identifier: Apache-2.0
// cocoon: command-line tool for owners and operators
// So far only --help and --version exist: the service itself comes with issue #2.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  try {
    CLI::App app{"cocoon — command-line tool for owners and operators.\n"
                 "Not functional yet: only --help and --version exist (see issue #2)."};
    app.set_version_flag("--version", std::string("cocoon ") + COCOON_VERSION);
    CLI11_PARSE(app, argc, argv);
    std::fprintf(stderr, "cocoon: not functional yet (issue #2); see --help\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon: internal error: %s\n", e.what());
    return 70;
  }
}
