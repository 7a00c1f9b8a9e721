// SPDX-License-Identifier: Apache-2.0
// Flags that build a confidential data hub (KBS URL, pinned certificate, TEE), shared by
// `cocoon secret unseal` and `cocoon image pull --kbs`.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "attest/cdh/data_hub.h"
#include "common/result.h"

namespace cocoon::cli {

struct DataHubFlags {
  std::string kbs_url;
  std::string kbs_cert;
  std::string tee = "auto";
  bool allow_sample = false;
  std::string tpm_tcti;
  std::string verification_key;  // sealed-secret JWS key (PEM or JWK file)
  int attempts = 4;
  int timeout_seconds = 30;
};

// Adds --kbs (required when `kbs_required`), --kbs-cert, --tee, --allow-sample,
// --tpm-tcti, --attempts and --timeout. Returns the --kbs option (for `needs` checks).
CLI::Option* addDataHubOptions(CLI::App* cmd, DataHubFlags& flags, bool kbs_required);

// Exit statuses shared by the KBS-client verbs (`cocoon attest`, `cocoon secret`; documented
// in docs/attestation-agent.md and docs/confidential-data-hub.md): 3 KBS unreachable after
// the retries, 4 refused (attestation 401, policy 403, bad signature), 5 not found (no such
// resource or no TEE), 6 untrusted (TLS, https without a pinned cert, sample TEE not
// enabled, output not on tmpfs).
// Reports `error` and maps it to the statuses above (anything else: kExitFailure).
int kbsClientExit(const Error& error);

// The hub the flags describe. Errors: those of loadKey (the verification key) and of
// attest::cdh::DataHub::create.
Result<std::unique_ptr<attest::cdh::DataHub>> makeDataHub(const DataHubFlags& flags);

}  // namespace cocoon::cli
