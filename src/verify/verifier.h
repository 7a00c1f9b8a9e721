// SPDX-License-Identifier: Apache-2.0
// The owner-side evidence verifier interface: one plugin per TEE turns evidence into claims.
//
// Trust: evidence reaching a verifier is untrusted until its signature chain, freshness
// (the nonce, through report_data) and binding (report_data = hash of nonce and the
// guest's ephemeral key) are verified (ARCHITECTURE.md). A verifier returns claims only
// when all of its checks passed; policy over those claims is a separate, TEE-neutral step.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/result.h"
#include "json/json.h"
#include "kbs_protocol/tee.h"

namespace cocoon::verify {

// Why evidence was refused; fine-grained so callers and tests can tell cases apart.
enum class VerifyReason : std::uint8_t {
  kMalformedEvidence,    // does not parse (JSON shape, binary structure, lengths)
  kUnsupportedEvidence,  // parses, but a version/algorithm/type is outside the allow-list
  kUntrustedKey,         // the signing key is not registered / does not chain to an anchor
  kCertificateInvalid,   // a certificate in the chain is expired, revoked or malformed
  kBadSignature,         // the evidence signature does not verify
  kReportDataMismatch,   // freshness/binding: report_data is not the expected digest
  kInitDataMismatch,     // the init-data digest in the evidence differs from the given one
  kMeasurementMismatch,  // e.g. PCR values do not hash to the quoted PCR digest
  kEventLogMismatch,     // replaying the event log does not give the measured registers
  kTcbOutOfDate,         // platform TCB below the minimum the verifier accepts
  kDisabled,             // the verifier exists but is not enabled by configuration
};

std::string_view verifyReasonName(VerifyReason reason);

struct VerifyFailure {
  VerifyReason reason;
  std::string message;  // names the field/offset, expected vs found; never secrets
};

// kInvalidArgument for malformed/unsupported evidence, kPermissionDenied for anything that
// failed a check (key, chain, signature, binding, measurement, TCB), kFailedPrecondition for
// kDisabled. The message starts with the reason's name.
Error toError(const VerifyFailure& failure);

// What the evidence must be bound to.
struct Expectations {
  // The runtime-data digest (kbs_protocol::runtimeDataDigest): the verifier compares it,
  // zero-padded or truncated to its TEE's report_data field, with the evidence.
  Bytes report_data;
  // The init-data digest when the guest sent init-data (kbs_protocol::initDataDigest);
  // empty optional when it did not, and then the verifier does not check init-data.
  std::optional<Bytes> init_data_digest;
  // For certificate validity checks.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// What a verifier established. `claims` is a JSON object of TEE claims (flat keys such as
// "report_data", "init_data", "tpm.pcr08", "measurement", lowercase hex for byte strings),
// which policy and tokens use without knowing the TEE.
struct VerifiedEvidence {
  kbs_protocol::Tee tee;
  json::Json claims;
  // True for evidence that proves nothing (the `sample` TEE): tokens mark it and the
  // default resource policy denies it.
  bool development_only = false;
};

// One TEE's verifier. Implementations are immutable after construction and thread-safe:
// the KBS calls verify() from several request threads at once.
class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual kbs_protocol::Tee tee() const = 0;
  // `evidence` is the Attestation's tee-evidence.primary_evidence value, as received.
  virtual Result<VerifiedEvidence, VerifyFailure> verify(const json::Json& evidence,
                                                         const Expectations& expected) const = 0;
};

// The verifiers a KBS serves, by TEE. Filled once at start (explicit registration, no
// static initializers), read-only afterwards, so lookups need no lock.
class VerifierRegistry {
 public:
  // Adds `verifier`; kAlreadyExists if its TEE already has one.
  Status add(std::unique_ptr<Verifier> verifier);
  // The verifier for `tee`, or nullptr.
  const Verifier* find(kbs_protocol::Tee tee) const;
  std::vector<kbs_protocol::Tee> tees() const;

 private:
  std::vector<std::unique_ptr<Verifier>> verifiers_;
};

}  // namespace cocoon::verify
