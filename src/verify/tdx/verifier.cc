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

struct Window {
  TimePoint not_before;  // the latest notBefore of a chain
  TimePoint not_after;   // the earliest notAfter
};

Window windowOf(const std::vector<crypto::Certificate>& chain) {
  Window w{TimePoint::min(), TimePoint::max()};
  for (const crypto::Certificate& c : chain) {
    w.not_before = std::max(w.not_before, c.notBefore());
    w.not_after = std::min(w.not_after, c.notAfter());
  }
  return w;
}

// Steps 5-6 (QVL QuoteVerifier: attestation key hash, then the key itself).
Result<crypto::Key, VerifyFailure> boundAttestationKey(const TdxQuote& q) {
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
  return std::move(*ak);
}

}  // namespace

struct TdxVerifier::VerifiedChain {
  std::vector<crypto::Certificate> certs;  // verified, leaf first
  Window window;
  Key key;                           // of the chain's PEM / DER bytes
  std::optional<PckExtensions> pck;  // PCK chains only
  std::optional<crypto::Key> leaf_key;
};

struct TdxVerifier::CrlSet {
  Key key;
  std::vector<crypto::Crl> crls;
};

// The CRLs of a set that apply to a chain (signed by one of its certificates, none of
// which they list), in set order, with what must be re-checked against the time.
struct TdxVerifier::CrlVerdict {
  struct Applied {
    std::string issuer;
    TimePoint this_update;
    std::optional<TimePoint> next_update;
  };
  std::vector<Applied> applied;
};

struct TdxVerifier::VerifiedCollateral {
  TcbInfo tcb;
  QeIdentity qe;
};

namespace {

Result<void, VerifyFailure> crlCurrent(const std::string& issuer, TimePoint this_update,
                                       std::optional<TimePoint> next_update, TimePoint now) {
  if (this_update > now || (next_update && *next_update < now)) {
    return failure(VerifyReason::kCertificateInvalid,
                   fmt::format("CRL of '{}' is not current at {}", issuer, timeText(now)));
  }
  return {};
}

}  // namespace

// Step 3 (QVL PckCertVerifier, TDX DCAP 4.1.2.4.x): the chain and the SGX extension.
Result<std::shared_ptr<const TdxVerifier::VerifiedChain>, VerifyFailure> TdxVerifier::pckChain(
    ByteSpan pem, TimePoint now) const {
  const Key key = internal::cacheKey({pem});
  if (auto hit = chains_.find(key);
      hit && now >= hit->window.not_before && now <= hit->window.not_after) {
    return hit;
  }
  auto bundle = crypto::Certificate::parsePemBundle(toString(pem));
  if (!bundle || bundle->empty()) {
    return failure(
        VerifyReason::kMalformedEvidence,
        fmt::format("PCK certificate chain: {}",
                    bundle ? "no certificate" : internal::describeError(bundle.error())));
  }
  crypto::ChainVerifyOptions options;
  options.trust_anchors = trust_.root_cas;
  options.intermediates.assign(bundle->begin() + 1, bundle->end());
  options.verification_time = now;
  auto chain = crypto::verifyChain(bundle->front(), options);
  if (!chain) {
    return failure(
        chainReason(chain.error().reason),
        fmt::format("PCK certificate chain: {}: {}", crypto::chainFailureName(chain.error().reason),
                    chain.error().message));
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
  auto pck_key = chain->front().publicKey();
  if (!pck_key || pck_key->type() != crypto::KeyType::kEcP256) {
    return failure(VerifyReason::kCertificateInvalid, "PCK certificate key is not ECDSA P-256");
  }
  const Window window = windowOf(*chain);
  return chains_.insert(key, VerifiedChain{std::move(*chain), window, key, *pck, *pck_key});
}

Result<std::shared_ptr<const TdxVerifier::CrlSet>, VerifyFailure> TdxVerifier::crlSet(
    const RawCollateral& raw) const {
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  for (const Bytes& der : raw.crls) {
    const Key part = internal::cacheKey({der});
    h.update(part);
  }
  const Bytes digest = h.finish();
  const Key key = internal::cacheKey({digest});
  if (auto hit = crl_sets_.find(key)) {
    return hit;
  }
  CrlSet set{key, {}};
  for (const Bytes& der : raw.crls) {
    auto crl = !der.empty() && der[0] == 0x30 ? crypto::Crl::fromDer(der)
                                              : crypto::Crl::fromPem(toString(der));
    if (!crl) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("collateral CRL: {}", internal::describeError(crl.error())));
    }
    set.crls.push_back(std::move(*crl));
  }
  return crl_sets_.insert(key, std::move(set));
}

// Step 3, revocation: each CRL signed by a certificate of the chain must verify with it
// and be current; a certificate it lists is revoked.
Result<void, VerifyFailure> TdxVerifier::checkRevocation(const VerifiedChain& chain,
                                                         const CrlSet& set, TimePoint now) const {
  const Key key = internal::cacheKey({chain.key, set.key});
  if (auto hit = crl_verdicts_.find(key)) {
    for (const CrlVerdict::Applied& a : hit->applied) {
      if (auto current = crlCurrent(a.issuer, a.this_update, a.next_update, now); !current) {
        return current;
      }
    }
    return {};
  }
  CrlVerdict verdict;
  for (const crypto::Crl& crl : set.crls) {
    const std::string issuer_name = crl.issuer();
    const auto issuer = std::find_if(chain.certs.begin(), chain.certs.end(),
                                     [&](const auto& c) { return c.subject() == issuer_name; });
    if (issuer == chain.certs.end()) {
      continue;  // e.g. the Processor CA's CRL for a Platform CA chain
    }
    auto issuer_key = issuer->publicKey();
    if (!issuer_key || !crl.verifySignature(*issuer_key)) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("CRL of '{}' does not verify with its issuer", issuer_name));
    }
    if (auto current = crlCurrent(issuer_name, crl.thisUpdate(), crl.nextUpdate(), now); !current) {
      return current;
    }
    for (const crypto::Certificate& c : chain.certs) {
      if (crl.isRevoked(c)) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("PCK chain certificate '{}' serial {} is revoked", c.subject(),
                                   c.serialHex()));
      }
    }
    verdict.applied.push_back({issuer_name, crl.thisUpdate(), crl.nextUpdate()});
  }
  crl_verdicts_.insert(key, std::move(verdict));
  return {};
}

// Steps 4-5: the QE report signed by the PCK key, binding the attestation key.
Result<std::shared_ptr<const crypto::Key>, VerifyFailure> TdxVerifier::attestationKey(
    const TdxQuote& q, const VerifiedChain& chain) const {
  const Key key = internal::cacheKey(
      {chain.key, q.qe_report_raw, q.qe_report_signature, q.attestation_key, q.qe_auth_data});
  if (auto hit = attestation_keys_.find(key)) {
    return hit;
  }
  if (!crypto::verify(*chain.leaf_key, crypto::SignatureScheme::kEcdsaSha256, q.qe_report_raw,
                      q.qe_report_signature, crypto::EcdsaEncoding::kRaw)) {
    return failure(VerifyReason::kBadSignature,
                   "QE report signature does not verify with the PCK certificate key");
  }
  auto ak = boundAttestationKey(q);
  if (!ak) {
    return Failure(ak.error());
  }
  return attestation_keys_.insert(key, std::move(*ak));
}

// Step 7, documents: the TCB Signing chain, then each document's signature.
Result<std::shared_ptr<const TdxVerifier::VerifiedCollateral>, VerifyFailure>
TdxVerifier::collateral(const RawCollateral& raw, TimePoint now) const {
  const crypto::Certificate& signer = *trust_.tcb_signing_certificate;
  const Key signer_key = internal::cacheKey({asBytes("tcb-signing"), signer.der()});
  auto signer_chain = chains_.find(signer_key);
  if (!signer_chain || now < signer_chain->window.not_before ||
      now > signer_chain->window.not_after) {
    crypto::ChainVerifyOptions options;
    options.trust_anchors = trust_.root_cas;
    options.verification_time = now;
    auto verified = crypto::verifyChain(signer, options);
    if (!verified || !signer_key_) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("TCB Signing certificate: {}",
                                 verified ? internal::describeError(signer_key_.error())
                                          : verified.error().message));
    }
    const Window window = windowOf(*verified);
    chains_.insert(signer_key, VerifiedChain{std::move(*verified), window, signer_key, std::nullopt,
                                             std::nullopt});
  }
  const Key key = internal::cacheKey({asBytes(raw.tcb_info), asBytes(raw.qe_identity)});
  if (auto hit = collaterals_.find(key)) {
    return hit;
  }
  auto tcb = parseTcbInfo(raw.tcb_info, *signer_key_);
  if (!tcb) {
    return failure(VerifyReason::kCertificateInvalid, internal::describeError(tcb.error()));
  }
  auto qe = parseQeIdentity(raw.qe_identity, *signer_key_);
  if (!qe) {
    return failure(VerifyReason::kCertificateInvalid, internal::describeError(qe.error()));
  }
  return collaterals_.insert(key, VerifiedCollateral{std::move(*tcb), std::move(*qe)});
}

TdxVerifier::TdxVerifier(TdxTrustConfig trust)
    : trust_(std::move(trust)),
      signer_key_(fail(Code::kFailedPrecondition, "no TCB Signing certificate")) {
  if (trust_.root_cas.empty()) {
    trust_.root_cas.push_back(intelSgxRootCa());
  }
  if (!trust_.tcb_signing_certificate) {
    trust_.tcb_signing_certificate = intelTcbSigningCertificate();
  }
  signer_key_ = trust_.tcb_signing_certificate->publicKey();
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
  // serde writes the attester's None (no CCEL table) as null: same as absent.
  const auto log_member = evidence.find("cc_eventlog");
  auto log_b64 = log_member != evidence.end() && log_member->is_null()
                     ? Result<const std::string*>(nullptr)
                     : json::getOptionalString(evidence, "cc_eventlog");
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

  // 3. The PCK chain; its verified FMSPC selects the collateral, whose CRLs apply to it.
  auto chain = pckChain(asBytes(quote->pck_chain_pem), expected.now);
  if (!chain) {
    return Failure(chain.error());
  }
  const PckExtensions& pck = *(*chain)->pck;
  std::optional<RawCollateral> raw;
  if (collateral_) {
    auto fetched = collateral_->fetch(pck.fmspc);
    if (!fetched) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("collateral: {}", internal::describeError(fetched.error())));
    }
    raw = std::move(*fetched);
  }
  if (raw) {
    auto crls = crlSet(*raw);
    if (!crls) {
      return Failure(crls.error());
    }
    if (auto ok = checkRevocation(**chain, **crls, expected.now); !ok) {
      return Failure(ok.error());
    }
  }

  // 4-6. The quote signature is the only check that differs for each quote of a platform.
  auto ak = attestationKey(*quote, **chain);
  if (!ak) {
    return Failure(ak.error());
  }
  if (!crypto::verify(**ak, crypto::SignatureScheme::kEcdsaSha256, quote->signed_data,
                      quote->signature, crypto::EcdsaEncoding::kRaw)) {
    return failure(VerifyReason::kBadSignature,
                   "quote signature does not verify with the attestation key");
  }

  VerifiedEvidence out{kbs_protocol::Tee::kTdx, json::Json::object(), false};
  json::Json& claims = out.claims;
  claims = quoteClaims(*quote);
  claims["tdx.fmspc"] = hexEncode(pck.fmspc);
  claims["tdx.pce_id"] = hexEncode(pck.pce_id);
  if (pck.platform_instance_id) {
    // Trustee (intel_dcap/pck.rs) reads the ID as a little-endian GUID and prints it
    // big-endian: the claim is the extension's bytes reversed.
    std::array<std::uint8_t, 16> id = *pck.platform_instance_id;
    std::reverse(id.begin(), id.end());
    claims["tdx.platform_instance_id"] = hexEncode(id);
  }

  // 7. Collateral.
  if (!raw) {
    if (trust_.require_collateral) {
      return failure(VerifyReason::kCertificateInvalid,
                     fmt::format("no collateral for FMSPC {} and the verifier requires it",
                                 hexEncode(pck.fmspc)));
    }
    claims["tdx.tcb_status"] = "Unknown";
  } else {
    auto docs = collateral(*raw, expected.now);
    if (!docs) {
      return Failure(docs.error());
    }
    const TcbInfo& tcb = (*docs)->tcb;
    const QeIdentity& qe = (*docs)->qe;
    for (auto [what, issue, next] : {std::tuple{"TCB info", tcb.issue_date, tcb.next_update},
                                     std::tuple{"QE identity", qe.issue_date, qe.next_update}}) {
      if (expected.now < issue || expected.now > next) {
        return failure(VerifyReason::kCertificateInvalid,
                       fmt::format("{} is valid {} .. {}, not at {}", what, timeText(issue),
                                   timeText(next), timeText(expected.now)));
      }
    }
    if (tcb.fmspc != pck.fmspc || tcb.pce_id != pck.pce_id) {
      return failure(
          VerifyReason::kCertificateInvalid,
          fmt::format("TCB info is for FMSPC {} PCE-ID {}, the PCK certificate has {} {}",
                      hexEncode(tcb.fmspc), hexEncode(tcb.pce_id), hexEncode(pck.fmspc),
                      hexEncode(pck.pce_id)));
    }
    auto eval =
        evaluateTcb(tcb, qe, pck.cpu_svn_components, pck.pce_svn, quote->body, quote->qe_report);
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
    claims["tdx.collateral.tcb_evaluation_data_number"] = tcb.tcb_evaluation_data_number;
    claims["tdx.collateral.next_update"] = timeText(std::min(tcb.next_update, qe.next_update));
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
