// SPDX-License-Identifier: Apache-2.0
// Data hub flags and construction for the verbs that talk to a KBS through it.
#include "cmd/cocoon/data_hub_cli.h"

#include <chrono>

#include "cmd/cocoon/command.h"

namespace cocoon::cli {

CLI::Option* addDataHubOptions(CLI::App* cmd, DataHubFlags& flags, bool kbs_required) {
  CLI::Option* kbs = cmd->add_option("--kbs", flags.kbs_url, "KBS base URL (https://host:port)");
  if (kbs_required) {
    kbs->required();
  }
  cmd->add_option("--kbs-cert", flags.kbs_cert,
                  "PEM file with the KBS's certificate or CA: the only trust anchor for https");
  cmd->add_option("--tee", flags.tee, "auto, snp, tdx, tpm or sample")
      ->check(CLI::IsMember({"auto", "snp", "tdx", "tpm", "sample"}))
      ->capture_default_str();
  cmd->add_flag("--allow-sample", flags.allow_sample,
                "allow the sample TEE, which proves nothing (development only)");
  cmd->add_option("--tpm-tcti", flags.tpm_tcti, "tpm2-tss TCTI for the tpm TEE");
  cmd->add_option("--attempts", flags.attempts, "tries per KBS request (transport errors, 5xx)")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  cmd->add_option("--timeout", flags.timeout_seconds, "seconds per KBS request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  return kbs;
}

Result<std::unique_ptr<attest::cdh::DataHub>> makeDataHub(const DataHubFlags& flags) {
  attest::cdh::DataHubConfig config;
  config.kbs_url = flags.kbs_url;
  config.http.kbs_cert_file = flags.kbs_cert;
  config.http.total_timeout = std::chrono::seconds(flags.timeout_seconds);
  config.attester.tee = flags.tee;
  config.attester.allow_sample = flags.allow_sample;
  if (!flags.tpm_tcti.empty()) {
    config.attester.tpm.tcti = flags.tpm_tcti;
  }
  config.client.retry.max_attempts = flags.attempts;
  if (!flags.verification_key.empty()) {
    COCOON_ASSIGN_OR_RETURN(config.sealed_secret_key,
                            withContext(loadKey(flags.verification_key), "--verification-key"));
  }
  return attest::cdh::DataHub::create(std::move(config));
}

namespace {
constexpr int kExitKbsUnreachable = 3;
constexpr int kExitRefused = 4;
constexpr int kExitNotFound = 5;
constexpr int kExitUntrusted = 6;
}  // namespace

int kbsClientExit(const Error& error) {
  reportError(error);
  switch (error.code) {
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return kExitKbsUnreachable;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
      return kExitRefused;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kFailedPrecondition:
      return kExitUntrusted;
    default:
      return kExitFailure;
  }
}

}  // namespace cocoon::cli
