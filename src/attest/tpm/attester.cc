// SPDX-License-Identifier: Apache-2.0
// The TPM attester on ESAPI: AK creation, PCR reads, TPM2_Quote and evidence JSON.
#include <algorithm>
#include <array>
#include <mutex>

#include "attest/tpm.h"
#include "attest/tpm/esys.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/key.h"

namespace cocoon::attest {
namespace {

using tpm::EsysContext;
using tpm::EsysPtr;
using tpm::Transient;

constexpr unsigned kPcrCount = 24;
constexpr std::size_t kSha256Size = 32;
constexpr unsigned kInitDataPcr = 8;
constexpr int kQuoteAttempts = 3;

// SHA-256 bank, PCRs 0-23 (PC Client: three select bytes).
TPML_PCR_SELECTION allPcrs() {
  TPML_PCR_SELECTION sel{};
  sel.count = 1;
  sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
  sel.pcrSelections[0].sizeofSelect = 3;
  std::fill_n(sel.pcrSelections[0].pcrSelect, 3, std::uint8_t{0xff});
  return sel;
}

// A restricted signing key template (TPM 2.0 Part 1, "Attestation Key"): fixedTPM and
// fixedParent so the key cannot leave this TPM, sensitiveDataOrigin, userWithAuth.
TPM2B_PUBLIC akTemplate(TpmAkType type) {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& t = pub.publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  if (type == TpmAkType::kRsa2048) {
    t.type = TPM2_ALG_RSA;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    t.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;  // the default, 65537
  } else {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    t.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return pub;
}

// The AK's public area as DER SubjectPublicKeyInfo.
Result<Bytes> spkiOf(const TPMT_PUBLIC& pub) {
  if (pub.type == TPM2_ALG_RSA) {
    crypto::RsaComponents rsa;
    rsa.n.assign(pub.unique.rsa.buffer, pub.unique.rsa.buffer + pub.unique.rsa.size);
    std::uint32_t e =
        pub.parameters.rsaDetail.exponent == 0 ? 65537U : pub.parameters.rsaDetail.exponent;
    while (e != 0) {
      rsa.e.insert(rsa.e.begin(), static_cast<std::uint8_t>(e & 0xffU));
      e >>= 8U;
    }
    COCOON_ASSIGN_OR_RETURN(crypto::Key key, crypto::Key::fromRsa(rsa));
    return key.publicDer();
  }
  const TPMS_ECC_POINT& p = pub.unique.ecc;
  COCOON_ASSIGN_OR_RETURN(
      crypto::Key key, crypto::Key::fromEc(crypto::KeyType::kEcP256, ByteSpan(p.x.buffer, p.x.size),
                                           ByteSpan(p.y.buffer, p.y.size)));
  return key.publicDer();
}

class EsysTpmAttester final : public TpmAttester {
 public:
  EsysTpmAttester(TpmAttesterConfig config, EsysContext ctx, Transient ak, Bytes ak_der)
      : config_(std::move(config)),
        ctx_(std::move(ctx)),
        ak_(std::move(ak)),
        ak_der_(std::move(ak_der)) {}

  Bytes akPublicDer() const override { return ak_der_; }

  Status extendPcr(unsigned index, ByteSpan digest) override {
    if (index >= kPcrCount || digest.size() != kSha256Size) {
      return fail(Code::kInvalidArgument,
                  "extendPcr: PCR {} with a {}-byte digest, expected PCR 0..23 and 32 bytes", index,
                  digest.size());
    }
    std::lock_guard lock(mu_);
    return extendLocked(index, digest);
  }

  Status bindInitData(ByteSpan init_data_digest) override {
    if (init_data_digest.size() != kSha256Size) {
      return fail(Code::kInvalidArgument,
                  "bindInitData: a {}-byte init-data digest, expected 32 (sha256 init-data)",
                  init_data_digest.size());
    }
    // PCR 8 must end as extend(0, digest) for the verifier, so the extension is done once
    // per boot: a restarted agent finds it done, and any other value is refused.
    Bytes bound(kSha256Size, 0);
    bound.insert(bound.end(), init_data_digest.begin(), init_data_digest.end());
    bound = crypto::sha256(bound);
    std::lock_guard lock(mu_);
    COCOON_ASSIGN_OR_RETURN(std::vector<Bytes> pcrs, readPcrs());
    const Bytes& pcr8 = pcrs[kInitDataPcr];
    if (pcr8 == bound) {
      return okStatus();
    }
    if (pcr8 != Bytes(kSha256Size, 0)) {
      return fail(Code::kFailedPrecondition,
                  "PCR {} already holds {}, expected zeros (unbound) or {} (this init-data)",
                  kInitDataPcr, hexEncode(pcr8), hexEncode(bound));
    }
    return extendLocked(kInitDataPcr, init_data_digest);
  }

  Result<json::Json> evidence(ByteSpan report_data) override {
    TPM2B_DATA qualifying{};
    qualifying.size = static_cast<UINT16>(config_.report_data_size);
    std::copy_n(report_data.begin(), std::min(report_data.size(), config_.report_data_size),
                qualifying.buffer);
    std::lock_guard lock(mu_);
    for (int attempt = 0; attempt < kQuoteAttempts; ++attempt) {
      COCOON_ASSIGN_OR_RETURN(std::vector<Bytes> before, readPcrs());
      const TPML_PCR_SELECTION sel = allPcrs();
      TPMT_SIG_SCHEME scheme{};
      scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
      TPM2B_ATTEST* quoted_raw = nullptr;
      TPMT_SIGNATURE* sig_raw = nullptr;
      const TSS2_RC rc =
          ctx_.tss().quote(ctx_.get(), ak_.handle(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &qualifying, &scheme, &sel, &quoted_raw, &sig_raw);
      EsysPtr<TPM2B_ATTEST> quoted = ctx_.own(quoted_raw);
      EsysPtr<TPMT_SIGNATURE> sig = ctx_.own(sig_raw);
      COCOON_TRY(ctx_.check(rc, "TPM2_Quote"));
      COCOON_ASSIGN_OR_RETURN(std::vector<Bytes> after, readPcrs());
      if (before != after) {
        continue;  // a PCR was extended meanwhile: the values may not match the quote
      }
      COCOON_ASSIGN_OR_RETURN(Bytes sig_bytes, marshalSignature(*sig));
      json::Json pcrs = json::Json::array();
      for (const Bytes& p : after) {
        pcrs.push_back(hexEncode(p));
      }
      return json::Json{
          {"ak_public", base64Encode(ak_der_)},
          {"tpm_quote",
           {{"message", base64Encode(ByteSpan(quoted->attestationData, quoted->size))},
            {"signature", base64Encode(sig_bytes)},
            {"pcrs", std::move(pcrs)}}}};
    }
    return fail(Code::kAborted, "PCRs changed during each of {} quote attempts", kQuoteAttempts);
  }

 private:
  // TPM2_PCR_Extend of the SHA-256 bank. REQUIRES: mu_ held, index and size checked.
  Status extendLocked(unsigned index, ByteSpan digest) {
    TPML_DIGEST_VALUES values{};
    values.count = 1;
    values.digests[0].hashAlg = TPM2_ALG_SHA256;
    std::copy(digest.begin(), digest.end(), values.digests[0].digest.sha256);
    return ctx_.check(ctx_.tss().pcr_extend(ctx_.get(), ESYS_TR_PCR0 + index, ESYS_TR_PASSWORD,
                                            ESYS_TR_NONE, ESYS_TR_NONE, &values),
                      fmt::format("TPM2_PCR_Extend(PCR {})", index));
  }

  // The 24 SHA-256 PCRs; TPM2_PCR_Read returns at most 8 digests per call, so it is
  // called until every selected PCR was returned.
  Result<std::vector<Bytes>> readPcrs() {
    std::vector<Bytes> out(kPcrCount);
    TPML_PCR_SELECTION want = allPcrs();
    unsigned missing = kPcrCount;
    while (missing > 0) {
      UINT32 counter = 0;
      TPML_PCR_SELECTION* got_raw = nullptr;
      TPML_DIGEST* values_raw = nullptr;
      const TSS2_RC rc = ctx_.tss().pcr_read(ctx_.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                             &want, &counter, &got_raw, &values_raw);
      EsysPtr<TPML_PCR_SELECTION> got = ctx_.own(got_raw);
      EsysPtr<TPML_DIGEST> values = ctx_.own(values_raw);
      COCOON_TRY(ctx_.check(rc, "TPM2_PCR_Read"));
      if (values->count == 0 || got->count != 1) {
        return fail(Code::kUnavailable, "TPM2_PCR_Read returned no SHA-256 PCR values");
      }
      std::uint32_t k = 0;
      for (unsigned pcr = 0; pcr < kPcrCount && k < values->count; ++pcr) {
        const std::uint8_t bit = static_cast<std::uint8_t>(1U << (pcr % 8));
        if ((got->pcrSelections[0].pcrSelect[pcr / 8] & bit) == 0) {
          continue;
        }
        const TPM2B_DIGEST& d = values->digests[k++];
        if (d.size != kSha256Size) {
          return fail(Code::kUnavailable, "PCR {} has {} bytes, expected 32", pcr, d.size);
        }
        out[pcr].assign(d.buffer, d.buffer + d.size);
        want.pcrSelections[0].pcrSelect[pcr / 8] &= static_cast<std::uint8_t>(~bit);
        --missing;
      }
    }
    return out;
  }

  Result<Bytes> marshalSignature(const TPMT_SIGNATURE& sig) const {
    Bytes out(sizeof(TPMT_SIGNATURE));
    std::size_t offset = 0;
    COCOON_TRY(ctx_.check(ctx_.tss().marshal_signature(&sig, out.data(), out.size(), &offset),
                          "marshalling TPMT_SIGNATURE"));
    out.resize(offset);
    return out;
  }

  const TpmAttesterConfig config_;
  std::mutex mu_;
  EsysContext ctx_;
  Transient ak_;
  const Bytes ak_der_;
};

}  // namespace

Result<std::unique_ptr<TpmAttester>> createTpmAttester(const TpmAttesterConfig& config) {
  if (config.report_data_size == 0 || config.report_data_size > 64) {
    return fail(Code::kInvalidArgument, "report_data_size is {}, expected 1..64",
                config.report_data_size);
  }
  COCOON_ASSIGN_OR_RETURN(EsysContext ctx, EsysContext::open(config.tcti));
  const ESYS_TR hierarchy =
      config.hierarchy == TpmHierarchy::kEndorsement ? ESYS_TR_RH_ENDORSEMENT : ESYS_TR_RH_OWNER;
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC templ = akTemplate(config.ak_type);
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  const TSS2_RC rc = ctx.tss().create_primary(
      ctx.get(), hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &templ,
      &outside, &creation_pcrs, &handle, &pub_raw, &creation_data, &creation_hash, &ticket);
  EsysPtr<TPM2B_PUBLIC> pub = ctx.own(pub_raw);
  EsysPtr<TPM2B_CREATION_DATA> free_data = ctx.own(creation_data);
  EsysPtr<TPM2B_DIGEST> free_hash = ctx.own(creation_hash);
  EsysPtr<TPMT_TK_CREATION> free_ticket = ctx.own(ticket);
  COCOON_TRY(ctx.check(rc, "TPM2_CreatePrimary (AK)"));
  Transient ak(ctx, handle);
  COCOON_ASSIGN_OR_RETURN(Bytes der, withContext(spkiOf(pub->publicArea), "AK public key"));
  return std::make_unique<EsysTpmAttester>(config, std::move(ctx), std::move(ak), std::move(der));
}

}  // namespace cocoon::attest
