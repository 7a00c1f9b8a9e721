// SPDX-License-Identifier: Apache-2.0
// Registry flags and exit statuses shared by the `cocoon image` verbs.
#include "cmd/cocoon/image_cli.h"

#include <algorithm>

#include "cmd/cocoon/command.h"
#include "image/puller.h"

namespace cocoon::cli {

int imageExitCode(const Error& e) {
  reportError(e);
  if (std::find(e.context.begin(), e.context.end(), image::kPolicyErrorContext) !=
      e.context.end()) {
    return kExitVerification;  // refused by the signature policy (docs/image-trust.md)
  }
  switch (e.code) {
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
      return kExitAuth;
    case Code::kDataLoss:
      return kExitVerification;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

void addRegistryOptions(CLI::App* cmd, RegistryFlags& flags) {
  cmd->add_option("--registries-conf", flags.registries_conf,
                  "containers-registries.conf (default: $CONTAINERS_REGISTRIES_CONF, else "
                  "/etc/containers/registries.conf)");
  cmd->add_option("--authfile", flags.auth_file,
                  "auth.json with registry credentials (default: the containers lookup order)");
  cmd->add_option("--ca-bundle", flags.ca_bundle, "PEM CA bundle for registry TLS");
}

}  // namespace cocoon::cli
