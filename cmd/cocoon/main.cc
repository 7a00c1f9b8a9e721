// SPDX-License-Identifier: Apache-2.0
// cocoon: the command-line tool for workload owners and operators. This file only parses
// flags and dispatches; each verb lives in its own file.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cmd/cocoon/command.h"
#include "common/log.h"

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "cocoon — confidential containers: tools for workload owners and operators.\n"
        "Verbs: jcs, key, jws/jwt, jwe (JOSE tools), image (pull, inspect, ls, gc) and kbs\n"
        "(KBS admin and client)."};
    app.set_version_flag("--version", std::string("cocoon ") + COCOON_VERSION);
    std::optional<std::string> log_level;
    std::optional<std::string> log_format;
    app.add_option("--log-level", log_level,
                   "trace, debug, info, warn, error or off (default: $COCOON_LOG, else info)");
    app.add_option("--log-format", log_format,
                   "text or json (one JSON object a line; default: $COCOON_LOG_FORMAT, else text)");
    app.require_subcommand(1);

    cocoon::cli::Action action;
    cocoon::cli::registerJcsCommand(app, action);
    cocoon::cli::registerKeyCommands(app, action);
    cocoon::cli::registerJwsCommands(app, action);
    cocoon::cli::registerJwtCommands(app, action);
    cocoon::cli::registerJweCommands(app, action);
    cocoon::cli::registerImageCommands(app, action);
    cocoon::cli::registerImageSignCommands(app, action);
    cocoon::cli::registerKbsCommands(app, action);
    cocoon::cli::registerMeasureCommands(app, action);
    cocoon::cli::registerEvidenceCommands(app, action);
    cocoon::cli::registerAttestCommands(app, action);
    cocoon::cli::registerNodeCommands(app, action);
    cocoon::cli::registerSecretCommands(app, action);
    cocoon::cli::registerAgentCtlCommands(app, action);
    cocoon::cli::registerSandboxCommands(app, action);
    cocoon::cli::registerInitDataCommands(app, action);
    cocoon::cli::registerVtpmCommands(app, action);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // --help and --version exit 0; usage errors exit kExitUsage, whatever CLI11's code.
      return app.exit(e) == 0 ? cocoon::cli::kExitOk : cocoon::cli::kExitUsage;
    }

    auto log_options = cocoon::resolveLogOptions(log_level, log_format);
    if (!log_options) {
      return cocoon::cli::reportError(log_options.error());
    }
    if (auto logging = cocoon::initLogging(*log_options); !logging) {
      return cocoon::cli::reportError(logging.error());
    }
    return action ? action() : cocoon::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cocoon: internal error: %s\n", e.what());
    return 70;
  }
}
