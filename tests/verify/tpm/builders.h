// SPDX-License-Identifier: Apache-2.0
// Test builders for TPM quote structures and `tpm` evidence signed with keys made at test
// time, so each rejection is a one-line change from a valid quote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/key.h"
#include "json/json.h"
#include "verify/tpm/structures.h"

namespace cocoon::verify::tpm::test {

// A marshalled TPMS_ATTEST (quote). Defaults: a valid quote over the SHA-256 bank, PCRs
// 0-23, 32 zero bytes of extraData and a pcrDigest of 24 zero PCRs.
class QuoteAttestBuilder {
 public:
  QuoteAttestBuilder();
  QuoteAttestBuilder& magic(std::uint32_t v) { return set(q_.magic, v); }
  QuoteAttestBuilder& type(std::uint16_t v) { return set(q_.type, v); }
  QuoteAttestBuilder& qualifiedSigner(Bytes v) { return set(q_.qualified_signer, std::move(v)); }
  QuoteAttestBuilder& extraData(Bytes v) { return set(q_.extra_data, std::move(v)); }
  QuoteAttestBuilder& safe(std::uint8_t v) { return set(q_.clock_info.safe, v); }
  QuoteAttestBuilder& firmwareVersion(std::uint64_t v) { return set(q_.firmware_version, v); }
  QuoteAttestBuilder& pcrSelect(std::vector<PcrSelection> v) {
    return set(q_.pcr_select, std::move(v));
  }
  QuoteAttestBuilder& pcrDigest(Bytes v) { return set(q_.pcr_digest, std::move(v)); }
  // pcrDigest = SHA-256 of the selected values of `pcrs` (24 values).
  QuoteAttestBuilder& pcrDigestOf(const std::vector<Bytes>& pcrs);

  const QuoteAttest& fields() const { return q_; }
  Bytes build() const;

 private:
  template <class T, class U>
  QuoteAttestBuilder& set(T& field, U&& v) {
    field = std::forward<U>(v);
    return *this;
  }
  QuoteAttest q_;
};

// A marshalled TPMT_SIGNATURE.
Bytes marshalRsaSignature(std::uint16_t sig_alg, std::uint16_t hash, ByteSpan sig);
Bytes marshalEcdsaSignature(std::uint16_t hash, ByteSpan r, ByteSpan s);

// `tpm` evidence signed by `ak` (RSASSA-SHA256 for RSA keys, ECDSA-SHA256 for P-256):
// every member can be changed before build().
class EvidenceBuilder {
 public:
  explicit EvidenceBuilder(crypto::Key ak);
  // The report data the attester was given (resized to extraData as the attester does).
  EvidenceBuilder& reportData(ByteSpan report_data, std::size_t size = 32);
  EvidenceBuilder& pcr(unsigned index, Bytes value);
  EvidenceBuilder& rsaPss() {
    pss_ = true;
    return *this;
  }
  EvidenceBuilder& akCertChain(std::vector<Bytes> ders) {
    chain_ = std::move(ders);
    return *this;
  }
  EvidenceBuilder& eventLog(Bytes log) {
    event_log_ = std::move(log);
    return *this;
  }
  QuoteAttestBuilder& quote() { return quote_; }
  const std::vector<Bytes>& pcrs() const { return pcrs_; }

  // The evidence JSON; pcrDigest is recomputed from pcrs unless quote().pcrDigest() was
  // given after the last pcr() call.
  json::Json build() const;

 private:
  crypto::Key ak_;
  QuoteAttestBuilder quote_;
  std::vector<Bytes> pcrs_;
  bool pss_ = false;
  std::vector<Bytes> chain_;
  std::optional<Bytes> event_log_;
};

// A TCG PC Client crypto-agile event log whose header declares SHA-1 and SHA-256; each
// event carries both digests (the SHA-1 one is filler).
class EventLogBuilder {
 public:
  EventLogBuilder& event(std::uint32_t pcr, ByteSpan sha256_digest, std::uint32_t type = 0xd);
  EventLogBuilder& startupLocality(std::uint8_t locality);
  Bytes build() const;
  // Offset where each event starts in build() (after the header).
  const std::vector<std::size_t>& eventOffsets() const { return offsets_; }

 private:
  Bytes events_;
  std::vector<std::size_t> offsets_;
};

// SHA-256 extend: SHA-256(pcr || digest).
Bytes extend(ByteSpan pcr, ByteSpan digest);

}  // namespace cocoon::verify::tpm::test
