// SPDX-License-Identifier: Apache-2.0
// createAttester(): name or detection -> the TEE's attester.
#include "attest/attester.h"

namespace cocoon::attest {

Result<std::unique_ptr<Attester>> createAttester(const AttesterConfig& config) {
  std::string tee = config.tee;
  std::optional<TeeInterface> via;
  if (tee == "auto") {
    COCOON_ASSIGN_OR_RETURN(DetectedTee found, detectTee(config.env, config.allow_sample));
    tee = std::string(kbs_protocol::teeName(found.tee));
    via = found.via;
  }
  if (tee == "snp") {
    SnpAttesterConfig c = config.snp;
    c.env = config.env;
    c.via = via ? via : c.via;
    return createSnpAttester(c);
  }
  if (tee == "tdx") {
    TdxAttesterConfig c = config.tdx;
    c.env = config.env;
    c.via = via ? via : c.via;
    return createTdxAttester(c);
  }
  if (tee == "tpm") {
    COCOON_ASSIGN_OR_RETURN(auto tpm, createTpmAttester(config.tpm));
    return std::unique_ptr<Attester>(std::move(tpm));
  }
  if (tee == "sample") {
    if (!config.allow_sample) {
      return fail(Code::kFailedPrecondition,
                  "the sample TEE proves nothing and is not enabled (development only)");
    }
    return std::unique_ptr<Attester>(std::make_unique<SampleAttester>());
  }
  return fail(Code::kInvalidArgument, "unknown TEE {:?}: expected auto, snp, tdx, tpm or sample",
              tee);
}

}  // namespace cocoon::attest
