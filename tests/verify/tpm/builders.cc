// SPDX-License-Identifier: Apache-2.0
// TPM quote and evidence builders (big-endian marshalling as Part 2 specifies).
#include "verify/tpm/builders.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "crypto/signature.h"

namespace cocoon::verify::tpm::test {
namespace {

void putU8(Bytes& out, std::uint8_t v) {
  out.push_back(v);
}
void putU16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void putU32(Bytes& out, std::uint32_t v) {
  putU16(out, static_cast<std::uint16_t>(v >> 16));
  putU16(out, static_cast<std::uint16_t>(v));
}
void putU64(Bytes& out, std::uint64_t v) {
  putU32(out, static_cast<std::uint32_t>(v >> 32));
  putU32(out, static_cast<std::uint32_t>(v));
}
void put2b(Bytes& out, ByteSpan v) {
  putU16(out, static_cast<std::uint16_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
}

void putU16Le(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void putU32Le(Bytes& out, std::uint32_t v) {
  putU16Le(out, static_cast<std::uint16_t>(v));
  putU16Le(out, static_cast<std::uint16_t>(v >> 16));
}

// The Spec ID Event03 header record (PC Client PFP §10.4.5.1).
Bytes specIdHeader() {
  Bytes ev = toBytes(std::string_view("Spec ID Event03\0", 16));
  putU32Le(ev, 0);                    // platformClass
  ev.insert(ev.end(), {0, 2, 0, 2});  // specVersionMinor/Major, errata, uintnSize
  putU32Le(ev, 2);                    // numberOfAlgorithms
  putU16Le(ev, kAlgSha1);
  putU16Le(ev, 20);
  putU16Le(ev, kAlgSha256);
  putU16Le(ev, 32);
  ev.push_back(0);  // vendorInfoSize
  Bytes out;
  putU32Le(out, 0);
  putU32Le(out, 3);  // EV_NO_ACTION
  out.insert(out.end(), 20, 0);
  putU32Le(out, static_cast<std::uint32_t>(ev.size()));
  out.insert(out.end(), ev.begin(), ev.end());
  return out;
}

}  // namespace

EventLogBuilder& EventLogBuilder::event(std::uint32_t pcr, ByteSpan sha256_digest,
                                        std::uint32_t type) {
  offsets_.push_back(specIdHeader().size() + events_.size());
  putU32Le(events_, pcr);
  putU32Le(events_, type);
  putU32Le(events_, 2);
  putU16Le(events_, kAlgSha1);
  events_.insert(events_.end(), 20, 0x11);
  putU16Le(events_, kAlgSha256);
  events_.insert(events_.end(), sha256_digest.begin(), sha256_digest.end());
  const Bytes data = toBytes("event data");
  putU32Le(events_, static_cast<std::uint32_t>(data.size()));
  events_.insert(events_.end(), data.begin(), data.end());
  return *this;
}

EventLogBuilder& EventLogBuilder::startupLocality(std::uint8_t locality) {
  offsets_.push_back(specIdHeader().size() + events_.size());
  putU32Le(events_, 0);
  putU32Le(events_, 3);  // EV_NO_ACTION
  putU32Le(events_, 0);  // no digests
  Bytes data = toBytes(std::string_view("StartupLocality\0", 16));
  data.push_back(locality);
  putU32Le(events_, static_cast<std::uint32_t>(data.size()));
  events_.insert(events_.end(), data.begin(), data.end());
  return *this;
}

Bytes EventLogBuilder::build() const {
  Bytes out = specIdHeader();
  out.insert(out.end(), events_.begin(), events_.end());
  return out;
}

QuoteAttestBuilder::QuoteAttestBuilder() {
  q_.magic = kTpmGeneratedValue;
  q_.type = kTpmStAttestQuote;
  q_.qualified_signer = Bytes(34, 0x5a);
  q_.qualified_signer[0] = 0x00;
  q_.qualified_signer[1] = 0x0b;
  q_.extra_data = Bytes(32, 0);
  q_.clock_info = {0x123456789, 3, 1, 1};
  q_.firmware_version = 0x2019102300163636;
  q_.pcr_select = {PcrSelection{kAlgSha256, {0xff, 0xff, 0xff}}};
  pcrDigestOf(std::vector<Bytes>(24, Bytes(32, 0)));
}

QuoteAttestBuilder& QuoteAttestBuilder::pcrDigestOf(const std::vector<Bytes>& pcrs) {
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  for (unsigned i : selectedPcrs(q_.pcr_select.at(0))) {
    h.update(pcrs.at(i));
  }
  q_.pcr_digest = h.finish();
  return *this;
}

Bytes QuoteAttestBuilder::build() const {
  Bytes out;
  putU32(out, q_.magic);
  putU16(out, q_.type);
  put2b(out, q_.qualified_signer);
  put2b(out, q_.extra_data);
  putU64(out, q_.clock_info.clock);
  putU32(out, q_.clock_info.reset_count);
  putU32(out, q_.clock_info.restart_count);
  putU8(out, q_.clock_info.safe);
  putU64(out, q_.firmware_version);
  putU32(out, static_cast<std::uint32_t>(q_.pcr_select.size()));
  for (const PcrSelection& s : q_.pcr_select) {
    putU16(out, s.hash);
    putU8(out, static_cast<std::uint8_t>(s.pcr_select.size()));
    out.insert(out.end(), s.pcr_select.begin(), s.pcr_select.end());
  }
  put2b(out, q_.pcr_digest);
  return out;
}

Bytes marshalRsaSignature(std::uint16_t sig_alg, std::uint16_t hash, ByteSpan sig) {
  Bytes out;
  putU16(out, sig_alg);
  putU16(out, hash);
  put2b(out, sig);
  return out;
}

Bytes marshalEcdsaSignature(std::uint16_t hash, ByteSpan r, ByteSpan s) {
  Bytes out;
  putU16(out, kAlgEcdsa);
  putU16(out, hash);
  put2b(out, r);
  put2b(out, s);
  return out;
}

Bytes extend(ByteSpan pcr, ByteSpan digest) {
  Bytes in(pcr.begin(), pcr.end());
  in.insert(in.end(), digest.begin(), digest.end());
  return crypto::sha256(in);
}

EvidenceBuilder::EvidenceBuilder(crypto::Key ak) : ak_(std::move(ak)), pcrs_(24, Bytes(32, 0)) {
  for (unsigned i = 17; i <= 22; ++i) {
    pcrs_[i] = Bytes(32, 0xff);  // DRTM PCRs start at all ones
  }
  quote_.pcrDigestOf(pcrs_);
}

EvidenceBuilder& EvidenceBuilder::reportData(ByteSpan report_data, std::size_t size) {
  Bytes v(report_data.begin(), report_data.end());
  v.resize(size, 0);
  quote_.extraData(std::move(v));
  return *this;
}

EvidenceBuilder& EvidenceBuilder::pcr(unsigned index, Bytes value) {
  pcrs_.at(index) = std::move(value);
  quote_.pcrDigestOf(pcrs_);
  return *this;
}

json::Json EvidenceBuilder::build() const {
  const Bytes message = quote_.build();
  Bytes sig;
  if (ak_.type() == crypto::KeyType::kRsa) {
    const auto scheme =
        pss_ ? crypto::SignatureScheme::kRsaPssSha256 : crypto::SignatureScheme::kRsaPkcs1Sha256;
    auto s = crypto::sign(ak_, scheme, message);
    EXPECT_TRUE(s) << s.error().toString();
    sig = marshalRsaSignature(pss_ ? kAlgRsaPss : kAlgRsaSsa, kAlgSha256, s.value_or(Bytes{}));
  } else {
    auto s = crypto::sign(ak_, crypto::SignatureScheme::kEcdsaSha256, message,
                          crypto::EcdsaEncoding::kRaw);
    EXPECT_TRUE(s) << s.error().toString();
    const Bytes raw = s.value_or(Bytes(64, 0));
    const std::size_t half = raw.size() / 2;
    sig = marshalEcdsaSignature(kAlgSha256, ByteSpan(raw).first(half), ByteSpan(raw).subspan(half));
  }
  json::Json pcrs = json::Json::array();
  for (const Bytes& p : pcrs_) {
    pcrs.push_back(hexEncode(p));
  }
  json::Json out = {
      {"ak_public", base64Encode(ak_.publicDer())},
      {"tpm_quote",
       {{"message", base64Encode(message)}, {"signature", base64Encode(sig)}, {"pcrs", pcrs}}}};
  if (!chain_.empty()) {
    out["ak_cert_chain"] = json::Json::array();
    for (const Bytes& der : chain_) {
      out["ak_cert_chain"].push_back(base64Encode(der));
    }
  }
  if (event_log_) {
    out["eventlog"] = base64Encode(*event_log_);
  }
  return out;
}

}  // namespace cocoon::verify::tpm::test
