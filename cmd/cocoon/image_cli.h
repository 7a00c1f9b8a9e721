// SPDX-License-Identifier: Apache-2.0
// What the `cocoon image` verbs share: registry flags and the exit statuses of docs/image.md.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "image/open_source.h"

namespace cocoon::cli {

// Exit statuses of the image verbs (docs/image.md).
inline constexpr int kExitNotFound = 3;      // no such image, tag or platform
inline constexpr int kExitAuth = 4;          // credentials missing or refused
inline constexpr int kExitVerification = 5;  // digest/size mismatch, corrupt or hostile layer
inline constexpr int kExitUnavailable = 6;   // registry unreachable, timed out

// Reports `e` and maps it to the statuses above (a signature-policy refusal is 5).
int imageExitCode(const Error& e);

// --registries-conf, --authfile, --ca-bundle: how registries are reached.
struct RegistryFlags {
  std::string registries_conf;
  std::string auth_file;
  std::string ca_bundle;

  image::SourceOptions sourceOptions() const { return {registries_conf, auth_file, ca_bundle}; }
};

void addRegistryOptions(CLI::App* cmd, RegistryFlags& flags);

}  // namespace cocoon::cli
