// SPDX-License-Identifier: Apache-2.0
// cocoon-agent: guest agent serving the Kata agent API over ttrpc
// So far only --help and --version exist: the service itself comes with issue #8.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "cocoon-agent — guest agent serving the Kata agent API over ttrpc.\n"
        "Not functional yet: only --help and --version exist (see issue #8)."};
    app.set_version_flag("--version", std::string("cocoon-agent ") + COCOON_VERSION);
    CLI11_PARSE(app, argc, argv);
    std::fprintf(stderr, "cocoon-agent: not functional yet (issue #8); see --help\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon-agent: internal error: %s\n", e.what());
    return 70;
  }
}
