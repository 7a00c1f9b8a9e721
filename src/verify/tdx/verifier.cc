// SPDX-License-Identifier: Apache-2.0
// The `tdx` verifier's steps (see verifier.h), numbered as there; spec references are to
// the Intel TDX DCAP Quoting Library API (A.x) and QVL's QuoteVerifier.
#include "verify/tdx/verifier.h"

#include <algorithm>
#include <tuple>

#include <fmt/chrono.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/signature.h"
#include "verify/internal/failure.h"
#include "verify/tdx/ccel.h"
#include "verify/tdx/claims.h"
#include "verify/tdx/pck.h"
#include "verify/tdx/pcs.h"
#include "verify/tdx/quote.h"
#include "verify/tdx/roots.h"

namespace cocoon::verify::tdx {
namespace {

using internal::Failure;
using internal::failure;

constexpr std::size_t kMaxEvidenceText = 32 * 1024 * 1024;

VerifyReason chainReason(crypto::ChainFailure reason) {
  switch (reason) {
    case crypto::ChainFailure::kUntrusted:
    case crypto::ChainFailure::kBadSignature:
      return VerifyReason::kUntrustedKey;
    default:
      return VerifyReason::kCertificateInvalid;
  }
}

std::string timeText(TimePoint t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

// Expected bytes resized the way the CoCo attester resizes them (zero-pad or truncate).
Bytes resized(ByteSpan value, std::size_t size) {
  Bytes out(value.begin(),
            value.begin() + static_cast<std::ptrdiff_t>(std::min(size, value.size())));
  out.resize(size, 0);
  return out;
}

std::optional<std::array<std::uint8_t, 6>> unverifiedFmspc(const TdxQuote& q) {
  auto bundle = crypto::Certificate::parsePemBundle(q.pck_chain_pem);
  if (!bundle || bundle->empty()) {
    return std::nullopt;
  }
  auto ext = bundle->front().extensionValue(kSgxExtensionOid);
  if (!ext || !*ext) {
    return std::nullopt;
  }
  auto pck = parsePckExtensions(**ext);
  return pck ? std::optional(pck->fmspc) : std::nullopt;
}

struct Chain {
  std::vector<crypto::Certificate> certs;  // verified, leaf first
  PckExtensions pck;
};

// Step 3 (QVL PckCertVerifier, TDX DCAP 4.1.2.4.x): the chain, its CRLs and the SGX
// extension.
Result<Chain, VerifyFailure> verifyPckChain(const TdxQuote& quote,
                                            const std::vector<crypto::Certificate>& roots,
                                            const std::vector<crypto::Crl>& crls, TimePoint now) {
  auto bundle = crypto::Certificate::parsePemBundle(quote.pck_chain_pem);
  if (!bundle || bundle->empty()) {
    return failure(
        VerifyReason::kMalformedEvidence,
        fmt::format("PCK certificate chain: {}",
                    bundle ? "no certificate" : internal::describeError(bundle.error())));
  }
  crypto::ChainVerifyOptions options;
  options.trust_anchors = roots;
  options.intermediates.assign(bundle->begin() + 1, bundle->end());
  options.verification_time = now;
  auto chain = crypto::verifyChain(bundle->front(), options);
  if (!chain) {
    return failure(
        chainReason(chain.error().reason),
        fmt::format("PCK certificate chain: {}: {}", crypto::chainFailureName(chain.error().reason),
                    chain.error().message));
  }
  // CRLs from the collateral: each must be signed by a certificate of the chain and
  // current; a certificate it lists is revoked.
  for (const crypto::Crl& crl : crls) {
    const auto issuer = std::find_if(chain->begin(), chain->end(),
                                     [&](const auto& c) { return c.subject() == crl.issuer(); });
    if (issuer == chain->end()) {
      continue;  // e.g. the Processor CA's CRL for a Platform CA chain
    }
    auto key = issuer->publicKey();
    if (!key || !crl.verifySignature(*key)) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("CRL of '{}' does not verify with its issuer", crl.issuer()));
    }
    if (crl.thisUpdate() > now || (crl.nextUpdate() && *crl.nextUpdate() < now)) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("CRL of '{}' is not current at {}", crl.issuer(), timeText(now)));
    }
    for (const crypto::Certificate& c : *chain) {
      if (crl.isRevoked(c)) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("PCK chain certificate '{}' serial {} is revoked", c.subject(),
                                   c.serialHex()));
      }
    }
  }
  auto ext = chain->front().extensionValue(kSgxExtensionOid);
  if (!ext || !*ext) {
    return failure(VerifyReason::kCertificateInvalid, "PCK certificate has no SGX extension");
  }
  auto pck = parsePckExtensions(**ext);
  if (!pck) {
    return failure(VerifyReason::kCertificateInvalid,
                   fmt::format("PCK certificate: {}", internal::describeError(pck.error())));
  }
  return Chain{std::move(*chain), *pck};
}

// Steps 4-6 (QVL QuoteVerifier: QE report signature, attestation key hash, quote
// signature).
Result<void, VerifyFailure> verifySignatures(const TdxQuote& q, const crypto::Certificate& pck) {
  auto pck_key = pck.publicKey();
  if (!pck_key || pck_key->type() != crypto::KeyType::kEcP256) {
    return failure(VerifyReason::kCertificateInvalid, "PCK certificate key is not ECDSA P-256");
  }
  if (!crypto::verify(*pck_key, crypto::SignatureScheme::kEcdsaSha256, q.qe_report_raw,
                      q.qe_report_signature, crypto::EcdsaEncoding::kRaw)) {
    return failure(VerifyReason::kBadSignature,
                   "QE report signature does not verify with the PCK certificate key");
  }
  Bytes bound(q.attestation_key.begin(), q.attestation_key.end());
  bound.insert(bound.end(), q.qe_auth_data.begin(), q.qe_auth_data.end());
  Bytes want = crypto::sha256(bound);
  want.resize(q.qe_report.report_data.size(), 0);
  if (!std::equal(want.begin(), want.end(), q.qe_report.report_data.begin())) {
    return failure(VerifyReason::kUntrustedKey,
                   fmt::format("QE report_data is {}, expected SHA-256(attestation key || QE auth "
                               "data) = {}",
                               hexEncode(q.qe_report.report_data).substr(0, 64),
                               hexEncode(want).substr(0, 64)));
  }
  const ByteSpan key(q.attestation_key);
  auto ak = crypto::Key::fromEc(crypto::KeyType::kEcP256, key.first(32), key.subspan(32));
  if (!ak) {
    return failure(VerifyReason::kUntrustedKey,
                   fmt::format("attestation key: {}", internal::describeError(ak.error())));
  }
  if (!crypto::verify(*ak, crypto::SignatureScheme::kEcdsaSha256, q.signed_data, q.signature,
                      crypto::EcdsaEncoding::kRaw)) {
    return failure(VerifyReason::kBadSignature,
                   "quote signature does not verify with the attestation key");
  }
  return {};
}

}  // namespace

TdxVerifier::TdxVerifier(TdxTrustConfig trust) : trust_(std::move(trust)) {
  if (trust_.root_cas.empty()) {
    trust_.root_cas.push_back(intelSgxRootCa());
  }
  if (!trust_.tcb_signing_certificate) {
    trust_.tcb_signing_certificate = intelTcbSigningCertificate();
  }
  if (trust_.pcs_client != nullptr) {
    collateral_ = std::make_unique<PcsCollateralSource>(*trust_.pcs_client, trust_.pcs_url,
                                                        trust_.collateral_dir);
  } else if (trust_.collateral_dir) {
    collateral_ = std::make_unique<DirectoryCollateralSource>(*trust_.collateral_dir);
  }
}

Result<VerifiedEvidence, VerifyFailure> TdxVerifier::verify(const json::Json& evidence,
                                                            const Expectations& expected) const {
  // 1. Decode (guest-components attester/src/tdx TdxEvidence).
  auto quote_b64 = json::getString(evidence, "quote");
  if (!quote_b64 || quote_b64->size() > kMaxEvidenceText) {
    return failure(VerifyReason::kMalformedEvidence,
                   quote_b64 ? "quote is too large" : internal::describeError(quote_b64.error()));
  }
  auto quote = base64Decode(*quote_b64);
  if (!quote) {
    return failure(VerifyReason::kMalformedEvidence,
                   fmt::format("quote: {}", internal::describeError(quote.error())));
  }
  auto log_b64 = json::getOptionalString(evidence, "cc_eventlog");
  if (!log_b64 || (*log_b64 && (*log_b64)->size() > kMaxEvidenceText)) {
    return failure(VerifyReason::kMalformedEvidence,
                   log_b64 ? "cc_eventlog is too large" : internal::describeError(log_b64.error()));
  }
  std::optional<Bytes> log;
  if (*log_b64 && !(*log_b64)->empty()) {
    auto decoded = base64Decode(**log_b64);
    if (!decoded) {
      return failure(VerifyReason::kMalformedEvidence,
                     fmt::format("cc_eventlog: {}", internal::describeError(decoded.error())));
    }
    log = std::move(*decoded);
  }
  return verifyQuote(*quote, log ? std::optional<ByteSpan>(*log) : std::nullopt, expected);
}

Result<VerifiedEvidence, VerifyFailure> TdxVerifier::verifyQuote(
    ByteSpan quote_bytes, std::optional<ByteSpan> ccel, const Expectations& expected) const {
  // 2. Parse and allow-list.
  auto quote = parseTdxQuote(quote_bytes);
  if (!quote) {
    return failure(quote.error().code == Code::kUnimplemented ? VerifyReason::kUnsupportedEvidence
                                                              : VerifyReason::kMalformedEvidence,
                   fmt::format("TDX quote: {}", internal::describeError(quote.error())));
  }
  if (auto valid = validateTdxQuote(*quote); !valid) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("TDX quote: {}", internal::describeError(valid.error())));
  }

  // Collateral first, for its CRLs (7 is judged after the signatures).
  std::optional<RawCollateral> raw;
  std::vector<crypto::Crl> crls;
  if (collateral_) {
    // The FMSPC of the (not yet verified) PCK leaf only selects the collateral; the chain
    // and the FMSPC match are checked below.
    if (auto fmspc = unverifiedFmspc(*quote)) {
      auto fetched = collateral_->fetch(*fmspc);
      if (!fetched) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("collateral: {}", internal::describeError(fetched.error())));
      }
      raw = std::move(*fetched);
    }
  }
  if (raw) {
    for (const Bytes& der : raw->crls) {
      auto crl = !der.empty() && der[0] == 0x30 ? crypto::Crl::fromDer(der)
                                                : crypto::Crl::fromPem(toString(der));
      if (!crl) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("collateral CRL: {}", internal::describeError(crl.error())));
      }
      crls.push_back(std::move(*crl));
    }
  }

  // 3-6.
  auto chain = verifyPckChain(*quote, trust_.root_cas, crls, expected.now);
  if (!chain) {
    return Failure(chain.error());
  }
  if (auto signed_ok = verifySignatures(*quote, chain->certs.front()); !signed_ok) {
    return Failure(signed_ok.error());
  }

  VerifiedEvidence out{kbs_protocol::Tee::kTdx, json::Json::object(), false};
  json::Json& claims = out.claims;
  claims = quoteClaims(*quote);
  claims["tdx.fmspc"] = hexEncode(chain->pck.fmspc);
  claims["tdx.pce_id"] = hexEncode(chain->pck.pce_id);
  if (chain->pck.platform_instance_id) {
    // Trustee (intel_dcap/pck.rs) reads the ID as a little-endian GUID and prints it
    // big-endian: the claim is the extension's bytes reversed.
    std::array<std::uint8_t, 16> id = *chain->pck.platform_instance_id;
    std::reverse(id.begin(), id.end());
    claims["tdx.platform_instance_id"] = hexEncode(id);
  }

  // 7. Collateral.
  if (!raw) {
    if (trust_.require_collateral) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("no collateral for FMSPC {} and the verifier requires it",
                                 hexEncode(chain->pck.fmspc)));
    }
    claims["tdx.tcb_status"] = "Unknown";
  } else {
    crypto::ChainVerifyOptions options;
    options.trust_anchors = trust_.root_cas;
    options.verification_time = expected.now;
    auto signer_chain = crypto::verifyChain(*trust_.tcb_signing_certificate, options);
    auto signer = trust_.tcb_signing_certificate->publicKey();
    if (!signer_chain || !signer) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("TCB Signing certificate: {}",
                                 signer_chain ? internal::describeError(signer.error())
                                              : signer_chain.error().message));
    }
    auto tcb = parseTcbInfo(raw->tcb_info, *signer);
    if (!tcb) {
      return failure(VerifyReason::kCertificateInvalid, internal::describeError(tcb.error()));
    }
    auto qe = parseQeIdentity(raw->qe_identity, *signer);
    if (!qe) {
      return failure(VerifyReason::kCertificateInvalid, internal::describeError(qe.error()));
    }
    for (auto [what, issue, next] : {std::tuple{"TCB info", tcb->issue_date, tcb->next_update},
                                     std::tuple{"QE identity", qe->issue_date, qe->next_update}}) {
      if (expected.now < issue || expected.now > next) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("{} is valid {} .. {}, not at {}", what, timeText(issue),
                                   timeText(next), timeText(expected.now)));
      }
    }
    if (tcb->fmspc != chain->pck.fmspc || tcb->pce_id != chain->pck.pce_id) {
      return failure(
          VerifyReason::kCertificateInvalid,
          fmt::format("TCB info is for FMSPC {} PCE-ID {}, the PCK certificate has {} {}",
                      hexEncode(tcb->fmspc), hexEncode(tcb->pce_id), hexEncode(chain->pck.fmspc),
                      hexEncode(chain->pck.pce_id)));
    }
    auto eval = evaluateTcb(*tcb, *qe, chain->pck.cpu_svn_components, chain->pck.pce_svn,
                            quote->body, quote->qe_report);
    if (!eval) {
      return failure(eval.error().code == Code::kNotFound ? VerifyReason::kTcbOutOfDate
                                                          : VerifyReason::kCertificateInvalid,
                     internal::describeError(eval.error()));
    }
    if (eval->status == kRevoked) {
      return failure(VerifyReason::kTcbOutOfDate, "TCB status is Revoked");
    }
    claims["tdx.tcb_status"] = eval->status;
    claims["tdx.advisory_ids"] = eval->advisory_ids;
    claims["tdx.collateral.tcb_evaluation_data_number"] = tcb->tcb_evaluation_data_number;
    claims["tdx.collateral.next_update"] = timeText(std::min(tcb->next_update, qe->next_update));
  }

  // 8. Debug TDs (TD ATTRIBUTES bit 0).
  if ((quote->body.td_attributes[0] & 1) && !trust_.allow_debug) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("TD attributes {} have the DEBUG bit set and debug TDs are not "
                               "allowed",
                               hexEncode(quote->body.td_attributes)));
  }

  // 9. Freshness and binding.
  const Bytes want_rd = resized(expected.report_data, quote->body.report_data.size());
  if (!std::equal(want_rd.begin(), want_rd.end(), quote->body.report_data.begin())) {
    return failure(VerifyReason::kReportDataMismatch,
                   fmt::format("report_data is {}, expected {}", hexEncode(quote->body.report_data),
                               hexEncode(want_rd)));
  }

  // 10. Init data.
  if (expected.init_data_digest) {
    const Bytes want = resized(*expected.init_data_digest, quote->body.mr_config_id.size());
    if (!std::equal(want.begin(), want.end(), quote->body.mr_config_id.begin())) {
      return failure(VerifyReason::kInitDataMismatch,
                     fmt::format("mr_config_id is {}, expected {}",
                                 hexEncode(quote->body.mr_config_id), hexEncode(want)));
    }
  }

  // 11. Event log.
  if (ccel) {
    auto log = parseCcel(*ccel);
    if (!log) {
      return failure(VerifyReason::kMalformedEvidence,
                     fmt::format("cc_eventlog: {}", internal::describeError(log.error())));
    }
    if (auto matched = matchRtmrs(*log, quote->body.rtmr); !matched) {
      return failure(VerifyReason::kEventLogMismatch, matched.error().message);
    }
    claims["tdx.uefi_event_logs"] = ccelEventsJson(*log);
  }
  return out;
}

}  // namespace cocoon::verify::tdx
