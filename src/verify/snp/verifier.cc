// SPDX-License-Identifier: Apache-2.0
// The `snp` verifier's steps (see verifier.h), numbered as there.
#include "verify/snp/verifier.h"

#include <algorithm>
#include <cstdlib>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/signature.h"
#include "verify/internal/failure.h"
#include "verify/snp/endorsement.h"
#include "verify/snp/evidence.h"
#include "verify/snp/vcek_source.h"
#include "verify/snp/vendor_certs.h"

namespace cocoon::verify::snp {
namespace {

using internal::Failure;
using internal::failure;
using json::Json;

constexpr Product kProducts[] = {Product::kMilan, Product::kGenoa, Product::kTurin};
constexpr std::size_t kReportDataSize = 64;
constexpr std::size_t kHostDataSize = 32;

Failure decodeFailure(const Error& error) {
  return failure(error.code == Code::kUnimplemented ? VerifyReason::kUnsupportedEvidence
                                                    : VerifyReason::kMalformedEvidence,
                 internal::describeError(error));
}

bool allZero(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t v) { return v == 0; });
}

// `data` zero-padded or truncated to `size` (how the attester fills a fixed field).
Bytes resized(ByteSpan data, std::size_t size) {
  Bytes out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(std::min(size, data.size())));
  out.resize(size, 0);
  return out;
}

// Step 2.
Result<void, VerifyFailure> validate(const SnpReport& r, bool allow_debug) {
  if (r.signature_algo != kSigAlgoEcdsaP384Sha384) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("SIGNATURE_ALGO (offset 0x34) is {}, expected 1 (ECDSA P-384)",
                               r.signature_algo));
  }
  const std::uint32_t key = r.signingKeyField();
  if (key != static_cast<std::uint32_t>(SigningKey::kVcek) &&
      key != static_cast<std::uint32_t>(SigningKey::kVlek)) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("SIGNING_KEY (offset 0x48 bits 4:2) is {}, expected 0 (VCEK) or "
                               "1 (VLEK)",
                               key));
  }
  if (r.maskChipKey()) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   "MASK_CHIP_KEY is set: the report is not signed");
  }
  if (r.version >= 3 && !r.product()) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   fmt::format("CPUID family 0x{:02x} model 0x{:02x} is not a known SEV-SNP "
                               "product (Milan, Genoa, Turin)",
                               r.cpuid_fam_id.value_or(0), r.cpuid_mod_id.value_or(0)));
  }
  if (r.policyDebug() && !allow_debug) {
    return failure(VerifyReason::kUnsupportedEvidence,
                   "guest policy (0x" + fmt::format("{:x}", r.policy) +
                       ") allows debugging (bit 19); debug guests are refused");
  }
  return {};
}

// Step 3 (source): the DER of the key that signed the report, and where it came from.
struct KeySource {
  Bytes der;
  std::string origin;
};

// Step 3 when the evidence has no VCEK: the products whose VCEK may have signed (named by
// CPUID; for v2, Turin when CHIP_ID fills only its first 8 bytes), cache, then KDS.
Result<KeySource, VerifyFailure> findVcek(const SnpTrustConfig& config, const SnpReport& r) {
  const ByteSpan chip(r.chip_id);
  if (allZero(chip)) {
    return failure(VerifyReason::kUntrustedKey,
                   "the evidence carries no VCEK and CHIP_ID is masked, so none can be looked "
                   "up");
  }
  std::vector<Product> candidates;
  if (r.product()) {
    candidates = {*r.product()};
  } else if (allZero(chip.subspan(8))) {
    candidates = {Product::kTurin};
  } else {
    candidates = {Product::kMilan, Product::kGenoa};
  }
  std::string tried = config.cache_dir.empty() ? "no cache directory" : "";
  for (Product p : candidates) {
    const VcekId id{p, r.chip_id, decodeTcb(r.reported_tcb, p)};
    if (config.cache_dir.empty()) {
      break;
    }
    auto cached = loadCachedVcek(config.cache_dir, id);
    if (cached) {
      return KeySource{std::move(*cached), "the cache"};
    }
    tried = internal::describeError(cached.error());
  }
  if (config.kds_client == nullptr) {
    return failure(
        VerifyReason::kUntrustedKey,
        fmt::format("the evidence carries no VCEK, {} and KDS access is not allowed", tried));
  }
  for (Product p : candidates) {
    const VcekId id{p, r.chip_id, decodeTcb(r.reported_tcb, p)};
    auto fetched = fetchVcek(*config.kds_client, config.kds_url, id);
    if (!fetched) {
      tried += "; " + internal::describeError(fetched.error());
      continue;
    }
    if (!config.cache_dir.empty()) {
      if (auto stored = storeCachedVcek(config.cache_dir, id, *fetched); !stored) {
        COCOON_LOG(kWarn, "verify", "caching the VCEK from KDS: {}",
                   internal::describeError(stored.error()));
      }
    }
    return KeySource{std::move(*fetched), "AMD KDS"};
  }
  return failure(VerifyReason::kUntrustedKey,
                 fmt::format("the evidence carries no VCEK and none was found: {}", tried));
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

Json tcbClaims(const TcbVersion& t) {
  Json j = {
      {"bootloader", t.bootloader}, {"tee", t.tee}, {"snp", t.snp}, {"microcode", t.microcode}};
  if (t.fmc) {
    j["fmc"] = *t.fmc;
  }
  return j;
}

void addTcb(Json& claims, const std::string& name, const TcbVersion& t) {
  const Json fields = tcbClaims(t);
  for (const auto& [k, v] : fields.items()) {
    claims["snp." + name + "." + k] = v;
  }
}

Json claimsOf(const SnpReport& r, Product product, bool vlek) {
  Json c = Json::object();
  c["report_data"] = hexEncode(r.report_data);
  c["init_data"] = hexEncode(r.host_data);
  c["snp.report_data"] = hexEncode(r.report_data);
  c["snp.host_data"] = hexEncode(r.host_data);
  c["snp.measurement"] = hexEncode(r.measurement);
  c["snp.version"] = r.version;
  c["snp.guest_svn"] = r.guest_svn;
  c["snp.policy"] = r.policy;
  c["snp.policy.abi_minor"] = r.policy & 0xFFU;
  c["snp.policy.abi_major"] = (r.policy >> 8) & 0xFFU;
  c["snp.policy.smt"] = r.policySmt();
  c["snp.policy.migrate_ma"] = r.policyMigrateMa();
  c["snp.policy.debug"] = r.policyDebug();
  c["snp.policy.single_socket"] = r.policySingleSocket();
  c["snp.vmpl"] = r.vmpl;
  c["snp.family_id"] = hexEncode(r.family_id);
  c["snp.image_id"] = hexEncode(r.image_id);
  c["snp.id_key_digest"] = hexEncode(r.id_key_digest);
  c["snp.author_key_digest"] = hexEncode(r.author_key_digest);
  c["snp.report_id"] = hexEncode(r.report_id);
  c["snp.report_id_ma"] = hexEncode(r.report_id_ma);
  c["snp.chip_id"] = hexEncode(r.chip_id);
  c["snp.platform_info"] = r.platform_info;
  c["snp.platform_info.smt_enabled"] = (r.platform_info & 1U) != 0;
  c["snp.platform_info.tsme_enabled"] = (r.platform_info & 2U) != 0;
  c["snp.signing_key"] = vlek ? "vlek" : "vcek";
  c["snp.product"] = std::string(productName(product));
  addTcb(c, "current_tcb", decodeTcb(r.current_tcb, product));
  addTcb(c, "reported_tcb", decodeTcb(r.reported_tcb, product));
  addTcb(c, "committed_tcb", decodeTcb(r.committed_tcb, product));
  addTcb(c, "launch_tcb", decodeTcb(r.launch_tcb, product));
  c["snp.current_version"] =
      fmt::format("{}.{}.{}", r.current_major, r.current_minor, r.current_build);
  c["snp.committed_version"] =
      fmt::format("{}.{}.{}", r.committed_major, r.committed_minor, r.committed_build);
  if (r.cpuid_fam_id) {
    c["snp.cpuid.family"] = *r.cpuid_fam_id;
    c["snp.cpuid.model"] = r.cpuid_mod_id.value_or(0);
    c["snp.cpuid.stepping"] = r.cpuid_step.value_or(0);
  }
  if (r.launch_mit_vector) {
    c["snp.launch_mit_vector"] = *r.launch_mit_vector;
    c["snp.current_mit_vector"] = r.current_mit_vector.value_or(0);
  }
  return c;
}

crypto::Certificate pinned(const std::vector<crypto::Certificate>& certs, std::size_t i,
                           Product product) {
  if (certs.size() != 3 || i >= certs.size()) {
    // The PEMs are compiled in: a failure here is a build defect, not input.
    COCOON_LOG(kError, "verify", "pinned AMD certificates of {} do not parse",
               productName(product));
    std::abort();
  }
  return certs[i];
}

}  // namespace

SnpVerifier::SnpVerifier(SnpTrustConfig config) : config_(std::move(config)) {
  for (Product p : kProducts) {
    auto certs = crypto::Certificate::parsePemBundle(vendorCertsPem(p));
    const std::vector<crypto::Certificate> list =
        certs ? *certs : std::vector<crypto::Certificate>{};
    vendor_.push_back(VendorChain{pinned(list, 0, p), pinned(list, 1, p), pinned(list, 2, p)});
  }
}

std::optional<SnpVerifier::CachedChain> SnpVerifier::cachedChain(const Bytes& der, bool vlek,
                                                                 std::optional<Product> product,
                                                                 crypto::TimePoint now) const {
  const std::lock_guard<std::mutex> lock(cache_mutex_);
  auto it = chain_cache_.find(der);
  if (it == chain_cache_.end()) {
    return std::nullopt;
  }
  const CachedChain& c = it->second;
  if (c.vlek != vlek || (product && *product != c.product) || now < c.not_before ||
      now > c.not_after) {
    return std::nullopt;
  }
  return c;
}

void SnpVerifier::rememberChain(const std::vector<crypto::Certificate>& chain, bool vlek,
                                Product product) const {
  auto key = chain.front().publicKey();
  CachedChain entry{chain.front(),
                    key ? std::optional<crypto::Key>(*key) : std::nullopt,
                    vlek,
                    product,
                    chain.front().notBefore(),
                    chain.front().notAfter()};
  for (const crypto::Certificate& c : chain) {
    entry.not_before = std::max(entry.not_before, c.notBefore());
    entry.not_after = std::min(entry.not_after, c.notAfter());
  }
  const std::lock_guard<std::mutex> lock(cache_mutex_);
  if (chain_cache_.size() >= kMaxCachedChains) {
    chain_cache_.clear();  // bounded memory; entries are cheap to rebuild
  }
  chain_cache_.insert_or_assign(chain.front().der(), std::move(entry));
}

const SnpVerifier::VendorChain& SnpVerifier::vendorChain(Product product) const {
  return vendor_[static_cast<std::size_t>(product)];
}

Result<VerifiedEvidence, VerifyFailure> SnpVerifier::verify(const json::Json& evidence,
                                                            const Expectations& expected) const {
  // 1. Decode.
  auto ev = parseSnpEvidence(evidence);
  if (!ev) {
    return decodeFailure(ev.error());
  }
  auto parsed = parseSnpReport(ev->report);
  if (!parsed) {
    return decodeFailure(parsed.error());
  }
  const SnpReport& report = *parsed;

  // 2. Allow-lists.
  if (auto valid = validate(report, config_.allow_debug); !valid) {
    return Failure(valid.error());
  }
  const bool vlek = report.signingKeyField() == static_cast<std::uint32_t>(SigningKey::kVlek);
  const std::string_view key_name = vlek ? "VLEK" : "VCEK";

  // 3. The endorsement key: the evidence's entry of the report's kind first.
  const CertKind wanted = vlek ? CertKind::kVlek : CertKind::kVcek;
  KeySource source;
  for (const CertEntry& e : ev->certs) {
    if (e.kind == wanted) {
      source = {e.data, "the evidence"};
      break;
    }
  }
  if (source.der.empty()) {
    if (vlek) {
      return failure(VerifyReason::kUntrustedKey,
                     "the report is signed by a VLEK and the evidence carries none (VLEKs are "
                     "not fetched)");
    }
    auto found = findVcek(config_, report);
    if (!found) {
      return Failure(found.error());
    }
    source = std::move(*found);
  }
  // A key whose chain verified earlier is not checked again inside the chain's validity
  // window: the chain costs two RSA-4096 verifies and more than the report signature.
  std::optional<Product> product = report.product();
  std::optional<CachedChain> cached = cachedChain(source.der, vlek, product, expected.now);
  if (cached) {
    product = cached->product;
  }
  auto cert =
      cached ? Result<crypto::Certificate>(cached->leaf) : crypto::Certificate::fromDer(source.der);
  if (!cert) {
    return failure(source.origin == "the evidence" ? VerifyReason::kMalformedEvidence
                                                   : VerifyReason::kUntrustedKey,
                   fmt::format("{} from {}: {}", key_name, source.origin,
                               internal::describeError(cert.error())));
  }
  // v3+ reports name their product; for v2 the key's issuer does, and the chain to that
  // product's pinned root decides whether to believe it.
  if (!product) {
    product = productFromIssuer(*cert, vlek);
  }
  if (!product) {
    return failure(VerifyReason::kUntrustedKey,
                   fmt::format("{} from {}: issuer '{}' is not an AMD SEV-{}<product> key",
                               key_name, source.origin, cert->issuer(), vlek ? "VLEK-" : ""));
  }
  if (!cached) {
    const VendorChain& vendor = vendorChain(*product);
    crypto::ChainVerifyOptions options;
    options.trust_anchors = {vendor.ark};
    options.intermediates = {vlek ? vendor.asvk : vendor.ask};
    options.verification_time = expected.now;
    options.max_depth = 1;
    // AMD's ARK/ASK/VCEK have no authority key identifiers, which RFC 5280 strict mode
    // requires ("Missing Authority Key Identifier"); the pinned ARK makes up for it.
    options.x509_strict = false;
    auto chain = crypto::verifyChain(*cert, options);
    if (!chain) {
      return failure(
          chainReason(chain.error().reason),
          fmt::format("{} from {}, chained to AMD's {} {} and ARK: {}: {}", key_name, source.origin,
                      productName(*product), vlek ? "ASVK" : "ASK",
                      crypto::chainFailureName(chain.error().reason), chain.error().message));
    }
    rememberChain(*chain, vlek, *product);
  }

  // 4. The VCEK belongs to this chip.
  if (!vlek && !allZero(report.chip_id)) {
    auto hwid = certificateHwid(*cert);
    if (!hwid || !*hwid) {
      return failure(
          VerifyReason::kCertificateInvalid,
          hwid ? "the VCEK has no hwID extension" : internal::describeError(hwid.error()));
    }
    const Bytes& id = **hwid;
    const ByteSpan chip(report.chip_id);
    if (id.empty() || id.size() > chip.size() || !std::equal(id.begin(), id.end(), chip.begin()) ||
        !allZero(chip.subspan(id.size()))) {
      return failure(VerifyReason::kUntrustedKey,
                     fmt::format("the VCEK's hwID {}... is not the report's CHIP_ID {}...",
                                 hexEncode(ByteSpan(id).first(std::min<std::size_t>(8, id.size()))),
                                 hexEncode(chip.first(8))));
    }
  }

  // 5. The key was derived for the reported TCB.
  auto key_tcb = certificateTcb(*cert, *product);
  if (!key_tcb) {
    return failure(VerifyReason::kCertificateInvalid,
                   fmt::format("{}: {}", key_name, internal::describeError(key_tcb.error())));
  }
  const TcbVersion reported = decodeTcb(report.reported_tcb, *product);
  if (reported != *key_tcb) {
    return failure(VerifyReason::kTcbOutOfDate,
                   fmt::format("REPORTED_TCB (offset 0x180) is {}, the {} certifies {}",
                               tcbPrefix(reported), key_name, tcbPrefix(*key_tcb)));
  }

  // 6. SNP ABI Table 23: the signature covers bytes 0..0x29F.
  auto key = cached && cached->key ? Result<crypto::Key>(*cached->key) : cert->publicKey();
  if (!key || key->type() != crypto::KeyType::kEcP384) {
    return failure(VerifyReason::kUntrustedKey,
                   fmt::format("the {} key is not an ECDSA P-384 key", key_name));
  }
  auto verified = crypto::verify(*key, crypto::SignatureScheme::kEcdsaSha384,
                                 ByteSpan(ev->report).first(kSignedSize), signatureRaw(report),
                                 crypto::EcdsaEncoding::kRaw);
  if (!verified) {
    return failure(VerifyReason::kBadSignature,
                   fmt::format("report signature (offset 0x2a0) does not verify with the {}: {}",
                               key_name, internal::describeError(verified.error())));
  }

  // 7. Freshness and binding.
  const Bytes want = resized(expected.report_data, kReportDataSize);
  if (!std::equal(want.begin(), want.end(), report.report_data.begin())) {
    return failure(VerifyReason::kReportDataMismatch,
                   fmt::format("REPORT_DATA is {}, expected {}", hexEncode(report.report_data),
                               hexEncode(want)));
  }

  // 8. Init data.
  if (expected.init_data_digest) {
    const Bytes host = resized(*expected.init_data_digest, kHostDataSize);
    if (!std::equal(host.begin(), host.end(), report.host_data.begin())) {
      return failure(VerifyReason::kInitDataMismatch,
                     fmt::format("HOST_DATA is {}, expected the init-data digest {}",
                                 hexEncode(report.host_data), hexEncode(host)));
    }
  }

  return VerifiedEvidence{kbs_protocol::Tee::kSnp, claimsOf(report, *product, vlek), false};
}

}  // namespace cocoon::verify::snp
