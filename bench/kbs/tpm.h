// SPDX-License-Identifier: Apache-2.0
// TPM guests for kbs_bench: swtpm processes with a TPM attester each, their AKs as PEM
// files for the KBS, and the floor of the KBS-side `tpm` verification work.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "attest/swtpm.h"
#include "attest/tpm.h"
#include "common/result.h"
#include "timing.h"

namespace cocoon::kbs::bench {

// `count` swtpm processes (each one serial device: a quote holds it for its whole
// duration), an RSA-2048 AK attester on each, and each AK public key in a PEM file.
struct TpmGuests {
  std::vector<std::unique_ptr<attest::test::Swtpm>> swtpms;  // outlive the attesters
  std::vector<std::unique_ptr<attest::TpmAttester>> attesters;
  std::vector<std::filesystem::path> ak_pems;  // for KbsConfig::tpm.trusted_ak_keys

  // Attesters as the load takes them (client i uses attesters[i % size]).
  std::vector<attest::Attester*> view() const;
};

// Starts the swtpms and attesters, writes `dir`/ak-<i>.pem. Errors: kUnavailable when
// swtpm cannot be started or the TCTI connected (createTpmAttester's and Swtpm's errors).
Result<TpmGuests> startTpmGuests(unsigned count, const std::filesystem::path& dir);

struct TpmFloor {
  // KBS side, per handshake, on top of the common handshake floor: evidence decode,
  // TPMS_ATTEST + TPMT_SIGNATURE walk, RSA-2048 PKCS#1 v1.5 verify, SHA-256 PCR digest.
  std::vector<Cost> kbs;
  // The whole built-in `tpm` verifier on the same evidence (for the gap to the floor).
  Cost verifier;
  // Of which (likely) the AK SPKI parse with its OpenSSL public-key check: avoidable by
  // comparing the DER with the registered AKs' before parsing.
  Cost ak_parse;
  // Guest side: one attester evidence() (PCR reads + TPM2_Quote on swtpm), serial per TPM.
  Cost quote;
};

// Takes one real quote from `attester` and measures each operation for `per_op` on the
// calling thread. Errors: those of evidence() and of the AK key parse; kInternal naming
// the operation that failed (e.g. a PCR digest that does not match the quote's).
Result<TpmFloor> measureTpmFloor(attest::TpmAttester& attester, std::chrono::milliseconds per_op);

}  // namespace cocoon::kbs::bench
