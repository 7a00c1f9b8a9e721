// SPDX-License-Identifier: Apache-2.0
// How the `cocoon` CLI's verbs plug into main(): each verb file registers its subcommands
// on the app, and its handler returns the process exit status.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"

namespace cocoon::cli {

// Exit statuses shared by all verbs.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation ran and failed (bad input, bad signature)
inline constexpr int kExitUsage = 2;    // CLI11 reports usage errors itself

// The action a parsed subcommand runs. main() runs exactly one after parsing.
using Action = std::function<int()>;

// Registers the subcommands of one verb. `action` receives the handler of whichever
// subcommand the user picked.
void registerJcsCommand(CLI::App& app, Action& action);
void registerKeyCommands(CLI::App& app, Action& action);
void registerJwsCommands(CLI::App& app, Action& action);
void registerJwtCommands(CLI::App& app, Action& action);
void registerJweCommands(CLI::App& app, Action& action);
void registerImageCommands(CLI::App& app, Action& action);
void registerImageCopyCommand(CLI::App* image, Action& action);     // under `image`
void registerImageEncryptCommand(CLI::App* image, Action& action);  // under `image`
// Adds `image sign`; REQUIRES: registerImageCommands ran first.
void registerImageSignCommands(CLI::App& app, Action& action);
void registerKbsCommands(CLI::App& app, Action& action);
void registerMeasureCommands(CLI::App& app, Action& action);
void registerEvidenceCommands(CLI::App& app, Action& action);
void registerAttestCommands(CLI::App& app, Action& action);
void registerNodeCommands(CLI::App& app, Action& action);
void registerSecretCommands(CLI::App& app, Action& action);
void registerAgentCtlCommands(CLI::App& app, Action& action);
void registerSandboxCommands(CLI::App& app, Action& action);
void registerInitDataCommands(CLI::App& app, Action& action);
void registerVtpmCommands(CLI::App& app, Action& action);

// Reads a key from a PEM (PKCS#8, SPKI, traditional) or JWK file; "-" for stdin.
Result<crypto::Key> loadKey(const std::string& path);

// Reads a whole file, or standard input for "-" (capped at 64 MiB).
Result<Bytes> readInput(const std::string& path);
// Writes to a file atomically, or to standard output for "-".
Status writeOutput(const std::string& path, ByteSpan data, unsigned mode = 0644);
// Prints "cocoon: <error>" to stderr and returns kExitFailure.
int reportError(const Error& error);

}  // namespace cocoon::cli
