// SPDX-License-Identifier: Apache-2.0
// The `tpm` verifier's steps (see verifier.h), numbered as there.
#include "verify/tpm/verifier.h"

#include <algorithm>
#include <array>
#include <optional>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/signature.h"
#include "verify/internal/failure.h"
#include "verify/tpm/event_log.h"
#include "verify/tpm/evidence.h"
#include "verify/tpm/structures.h"

namespace cocoon::verify::tpm {
namespace {

using internal::Failure;
using internal::failure;

// The PCR that the CoCo TPM attester extends with the init-data digest.
constexpr unsigned kInitDataPcr = 8;
// extraData sizes the guest-components TPM attester has produced: 32 since 79554cf8
// (2025-08-26, "Fix TPM report data size to 32 bytes"), 64 before.
constexpr std::size_t kReportDataSizes[] = {32, 64};

Failure parseFailure(const Error& error, std::string_view what) {
  const VerifyReason reason = error.code == Code::kUnimplemented
                                  ? VerifyReason::kUnsupportedEvidence
                                  : VerifyReason::kMalformedEvidence;
  return failure(reason, fmt::format("{}: {}", what, internal::describeError(error)));
}

std::optional<crypto::DigestAlgorithm> digestOf(std::uint16_t alg) {
  switch (alg) {
    case kAlgSha256:
      return crypto::DigestAlgorithm::kSha256;
    case kAlgSha384:
      return crypto::DigestAlgorithm::kSha384;
    case kAlgSha512:
      return crypto::DigestAlgorithm::kSha512;
    default:
      return std::nullopt;
  }
}

// The crypto scheme of a TPMT_SIGNATURE, checked against the AK's key type. TPM RSAPSS
// uses a salt as long as the digest (Part 1, "RSASSA-PSS"), as crypto's PSS schemes do.
Result<crypto::SignatureScheme, VerifyFailure> schemeFor(const Signature& sig,
                                                         const crypto::Key& ak) {
  using S = crypto::SignatureScheme;
  const auto digest = digestOf(sig.hash);
  if (!digest) {
    return failure(
        VerifyReason::kUnsupportedEvidence,
        fmt::format("signature hash is {}, expected TPM_ALG_SHA256/384/512", algName(sig.hash)));
  }
  const std::size_t index = *digest == crypto::DigestAlgorithm::kSha256   ? 0
                            : *digest == crypto::DigestAlgorithm::kSha384 ? 1
                                                                          : 2;
  S scheme = S::kEd25519;
  if (sig.sig_alg == kAlgRsaSsa) {
    scheme = std::array{S::kRsaPkcs1Sha256, S::kRsaPkcs1Sha384, S::kRsaPkcs1Sha512}[index];
  } else if (sig.sig_alg == kAlgRsaPss) {
    scheme = std::array{S::kRsaPssSha256, S::kRsaPssSha384, S::kRsaPssSha512}[index];
  } else {
    scheme = std::array{S::kEcdsaSha256, S::kEcdsaSha384, S::kEcdsaSha512}[index];
  }
  if (crypto::signatureSchemeKeyType(scheme) != ak.type()) {
    return failure(
        VerifyReason::kUnsupportedEvidence,
        fmt::format("signature scheme {} with {} does not fit the {} AK", algName(sig.sig_alg),
                    algName(sig.hash), crypto::keyTypeName(ak.type())));
  }
  return scheme;
}

// TPMS_SIGNATURE_ECC carries r and s as unsigned big-endian integers of at most the
// field size; crypto wants them left-padded to exactly that size.
Result<Bytes, VerifyFailure> ecdsaRaw(const Signature& sig, std::size_t field_size) {
  Bytes raw(2 * field_size, 0);
  const Bytes* parts[] = {&sig.ecdsa_r, &sig.ecdsa_s};
  for (std::size_t i = 0; i < 2; ++i) {
    const Bytes& v = *parts[i];
    if (v.size() > field_size) {
      return failure(VerifyReason::kMalformedEvidence,
                     fmt::format("ECDSA signature {} has {} bytes, the curve allows {}",
                                 i == 0 ? "r" : "s", v.size(), field_size));
    }
    std::copy(v.begin(), v.end(),
              raw.begin() + static_cast<std::ptrdiff_t>((i + 1) * field_size - v.size()));
  }
  return raw;
}

VerifyReason chainReason(crypto::ChainFailure reason) {
  switch (reason) {
    case crypto::ChainFailure::kUntrusted:
    case crypto::ChainFailure::kBadSignature:
      return VerifyReason::kUntrustedKey;
    default:
      return VerifyReason::kCertificateInvalid;
  }
}

// Step 2.
Result<void, VerifyFailure> checkAkTrusted(const TpmTrustConfig& trust, const crypto::Key& ak,
                                           const TpmEvidence& ev, crypto::TimePoint now) {
  for (const crypto::Key& k : trust.trusted_aks) {
    if (k.samePublicKey(ak)) {
      return {};
    }
  }
  if (ev.ak_cert_chain.empty() || trust.ak_ca_certificates.empty()) {
    return failure(VerifyReason::kUntrustedKey,
                   fmt::format("ak_public (sha256 {}) is not a registered AK and {}",
                               hexEncode(crypto::sha256(ev.ak_public_der)).substr(0, 16),
                               ev.ak_cert_chain.empty() ? "the evidence has no ak_cert_chain"
                                                        : "no AK CA is configured"));
  }
  std::vector<crypto::Certificate> certs;
  for (std::size_t i = 0; i < ev.ak_cert_chain.size(); ++i) {
    auto cert = crypto::Certificate::fromDer(ev.ak_cert_chain[i]);
    if (!cert) {
      return failure(
          VerifyReason::kMalformedEvidence,
          fmt::format("ak_cert_chain[{}]: {}", i, internal::describeError(cert.error())));
    }
    certs.push_back(std::move(*cert));
  }
  auto leaf_key = certs[0].publicKey();
  if (!leaf_key || !leaf_key->samePublicKey(ak)) {
    return failure(
        VerifyReason::kUntrustedKey,
        fmt::format("the key of AK certificate '{}' is not ak_public", certs[0].subject()));
  }
  crypto::ChainVerifyOptions options;
  options.trust_anchors = trust.ak_ca_certificates;
  options.intermediates.assign(certs.begin() + 1, certs.end());
  options.verification_time = now;
  auto chain = crypto::verifyChain(certs[0], options);
  if (!chain) {
    return failure(
        chainReason(chain.error().reason),
        fmt::format("AK certificate '{}': {}: {}", certs[0].subject(),
                    crypto::chainFailureName(chain.error().reason), chain.error().message));
  }
  return {};
}

// Step 4: the attester resizes report_data (zero-pads or truncates) to its field size.
Result<void, VerifyFailure> checkReportData(const QuoteAttest& quote, ByteSpan expected) {
  const std::size_t size = quote.extra_data.size();
  if (std::find(std::begin(kReportDataSizes), std::end(kReportDataSizes), size) ==
      std::end(kReportDataSizes)) {
    return failure(VerifyReason::kReportDataMismatch,
                   fmt::format("extraData has {} bytes, expected 32 or 64", size));
  }
  Bytes want(expected.begin(),
             expected.begin() + static_cast<std::ptrdiff_t>(std::min(size, expected.size())));
  want.resize(size, 0);
  if (want != quote.extra_data) {
    return failure(
        VerifyReason::kReportDataMismatch,
        fmt::format("extraData is {}, expected {}", hexEncode(quote.extra_data), hexEncode(want)));
  }
  return {};
}

// Step 6: the attester extends PCR8 once with the digest (TPM2_PCR_Extend from zero).
Result<void, VerifyFailure> checkInitData(const TpmEvidence& ev, const std::vector<unsigned>& pcrs,
                                          const Bytes& init_data_digest) {
  if (std::find(pcrs.begin(), pcrs.end(), kInitDataPcr) == pcrs.end()) {
    return failure(VerifyReason::kInitDataMismatch, "PCR8 (init data) is not quoted");
  }
  if (init_data_digest.size() != kSha256Size) {
    return failure(VerifyReason::kInitDataMismatch,
                   fmt::format("the init-data digest has {} bytes; PCR8 binds a SHA-256 "
                               "digest (32 bytes)",
                               init_data_digest.size()));
  }
  Bytes input(kSha256Size, 0);
  input.insert(input.end(), init_data_digest.begin(), init_data_digest.end());
  const Bytes want = crypto::sha256(input);
  if (want != ev.pcrs[kInitDataPcr]) {
    return failure(
        VerifyReason::kInitDataMismatch,
        fmt::format("PCR8 is {}, expected {}", hexEncode(ev.pcrs[kInitDataPcr]), hexEncode(want)));
  }
  return {};
}

// Step 7: every PCR the log extends must replay to its quoted value.
Result<void, VerifyFailure> checkEventLog(const TpmEvidence& ev,
                                          const std::vector<unsigned>& selected) {
  auto replay = replayEventLog(*ev.event_log);
  if (!replay) {
    return failure(VerifyReason::kMalformedEvidence,
                   fmt::format("eventlog: {}", internal::describeError(replay.error())));
  }
  for (unsigned i = 0; i < replay->pcrs.size(); ++i) {
    if (!replay->pcrs[i]) {
      continue;
    }
    if (std::find(selected.begin(), selected.end(), i) == selected.end()) {
      return failure(
          VerifyReason::kEventLogMismatch,
          fmt::format("the event log extends PCR {}, which the quote does not cover", i));
    }
    if (*replay->pcrs[i] != ev.pcrs[i]) {
      return failure(VerifyReason::kEventLogMismatch,
                     fmt::format("replaying the event log gives PCR {} = {}, the quote has {}", i,
                                 hexEncode(*replay->pcrs[i]), hexEncode(ev.pcrs[i])));
    }
  }
  return {};
}

}  // namespace

TpmVerifier::TpmVerifier(TpmTrustConfig trust) : trust_(std::move(trust)) {
  for (const crypto::Key& k : trust_.trusted_aks) {
    trusted_ak_der_.push_back(k.publicDer());
  }
}

Result<crypto::Key> TpmVerifier::akFromDer(ByteSpan der) const {
  for (std::size_t i = 0; i < trusted_ak_der_.size(); ++i) {
    if (std::equal(der.begin(), der.end(), trusted_ak_der_[i].begin(), trusted_ak_der_[i].end())) {
      return trust_.trusted_aks[i];
    }
  }
  return crypto::Key::fromPublicDer(der);
}

Result<VerifiedEvidence, VerifyFailure> TpmVerifier::verify(const json::Json& evidence,
                                                            const Expectations& expected) const {
  // 1. Decode.
  auto ev = parseTpmEvidence(evidence);
  if (!ev) {
    return failure(VerifyReason::kMalformedEvidence, internal::describeError(ev.error()));
  }
  auto quote = parseQuoteAttest(ev->message);
  if (!quote) {
    return parseFailure(quote.error(), "tpm_quote.message (TPMS_ATTEST)");
  }
  auto sig = parseSignature(ev->signature);
  if (!sig) {
    return parseFailure(sig.error(), "tpm_quote.signature (TPMT_SIGNATURE)");
  }
  auto ak = akFromDer(ev->ak_public_der);
  if (!ak) {
    return failure(VerifyReason::kMalformedEvidence,
                   fmt::format("ak_public: {}", internal::describeError(ak.error())));
  }
  auto scheme = schemeFor(*sig, *ak);
  if (!scheme) {
    return Failure(scheme.error());
  }
  if (quote->pcr_select.size() != 1 || quote->pcr_select[0].hash != kAlgSha256) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("the quote selects {} PCR banks ({}), expected one SHA-256 bank",
                               quote->pcr_select.size(),
                               quote->pcr_select.empty() ? std::string("none")
                                                         : algName(quote->pcr_select[0].hash)));
  }
  const std::vector<unsigned> selected = selectedPcrs(quote->pcr_select[0]);
  if (!selected.empty() && selected.back() >= kPcrCount) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("the quote selects PCR {}, the evidence has PCRs 0..{}",
                               selected.back(), kPcrCount - 1));
  }

  // 2. AK trust.
  if (auto trusted = checkAkTrusted(trust_, *ak, *ev, expected.now); !trusted) {
    return Failure(trusted.error());
  }

  // 3. Signature over the exact message bytes.
  Status verified;
  if (sig->sig_alg == kAlgEcdsa) {
    auto raw = ecdsaRaw(*sig, crypto::keyFieldSize(ak->type()));
    if (!raw) {
      return Failure(raw.error());
    }
    verified = crypto::verify(*ak, *scheme, ev->message, *raw, crypto::EcdsaEncoding::kRaw);
  } else {
    verified = crypto::verify(*ak, *scheme, ev->message, sig->rsa_signature);
  }
  if (!verified) {
    return failure(VerifyReason::kBadSignature,
                   fmt::format("{} quote signature: {}", crypto::signatureSchemeName(*scheme),
                               internal::describeError(verified.error())));
  }

  // 4. Freshness and binding.
  if (auto bound = checkReportData(*quote, expected.report_data); !bound) {
    return Failure(bound.error());
  }

  // 5. PCR values: TPM2_Quote's pcrDigest is the signing scheme's hash over the selected
  // PCRs concatenated in ascending order (Part 3, TPM2_Quote; Part 1, "Selecting
  // Multiple PCR").
  crypto::Hasher hasher(*digestOf(sig->hash));
  for (unsigned i : selected) {
    hasher.update(ev->pcrs[i]);
  }
  const Bytes pcr_digest = hasher.finish();
  if (pcr_digest != quote->pcr_digest) {
    return failure(VerifyReason::kMeasurementMismatch,
                   fmt::format("the PCR values hash to {}, the quote's pcrDigest is {}",
                               hexEncode(pcr_digest), hexEncode(quote->pcr_digest)));
  }

  // 6. Init data.
  if (expected.init_data_digest) {
    if (auto bound = checkInitData(*ev, selected, *expected.init_data_digest); !bound) {
      return Failure(bound.error());
    }
  }

  // 7. Event log.
  if (ev->event_log) {
    if (auto replayed = checkEventLog(*ev, selected); !replayed) {
      return Failure(replayed.error());
    }
  }

  VerifiedEvidence out{kbs_protocol::Tee::kTpm, json::Json::object(), false};
  out.claims["report_data"] = hexEncode(quote->extra_data);
  if (std::find(selected.begin(), selected.end(), kInitDataPcr) != selected.end()) {
    out.claims["init_data"] = hexEncode(ev->pcrs[kInitDataPcr]);
  }
  out.claims["ak_public"] = ev->ak_public_b64;
  for (unsigned i : selected) {
    out.claims[fmt::format("tpm.pcr{:02}", i)] = hexEncode(ev->pcrs[i]);
  }
  return out;
}

}  // namespace cocoon::verify::tpm
