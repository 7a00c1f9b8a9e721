// SPDX-License-Identifier: Apache-2.0
// createAttester(): the attester of a named or detected TEE (snp, tdx, tpm, sample), the
// one entry point for the CLI and the guest's data hub.
#pragma once

#include <memory>
#include <string>

#include "attest/environment.h"
#include "attest/kbs_client/kbs_client.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "attest/tpm.h"

namespace cocoon::attest {

struct AttesterConfig {
  // "auto" (detectTee), "snp", "tdx", "tpm" or "sample".
  std::string tee = "auto";
  TeeEnvironment env;
  // The sample TEE proves nothing: it is refused unless enabled, even when named.
  bool allow_sample = false;
  SnpAttesterConfig snp;  // its env is replaced by `env`
  TdxAttesterConfig tdx;  // its env is replaced by `env`
  TpmAttesterConfig tpm;  // with tee "auto", a detected TPM keeps this TCTI
};

// Errors: kInvalidArgument for an unknown tee name; kFailedPrecondition for "sample"
// without allow_sample; those of detectTee and of the TEE's create function.
Result<std::unique_ptr<Attester>> createAttester(const AttesterConfig& config);

}  // namespace cocoon::attest
