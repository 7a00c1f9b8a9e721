// SPDX-License-Identifier: Apache-2.0
// TDX quote, PCK PKI and CCEL builders for tests.
#include "verify/tdx/builders.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "common/files.h"
#include "crypto/digest.h"
#include "crypto/signature.h"
#include "verify/tdx/testdata.h"

namespace cocoon::verify::tdx::test {
namespace {

using cocoon::test::CertBuilder;

void le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

template <class C>
void append(Bytes& out, const C& bytes) {
  out.insert(out.end(), std::begin(bytes), std::end(bytes));
}

Bytes tlv(std::uint8_t tag, ByteSpan value) {
  Bytes out{tag};
  if (value.size() < 128) {
    out.push_back(static_cast<std::uint8_t>(value.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(value.size()));
  }
  append(out, value);
  return out;
}

Bytes sgxOid(std::initializer_list<std::uint8_t> arcs) {
  Bytes oid = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
  append(oid, arcs);
  return tlv(0x06, oid);
}

Bytes member(Bytes oid, Bytes value) {
  append(oid, value);
  return tlv(0x30, oid);
}

Bytes sign(const crypto::Key& key, ByteSpan message) {
  auto sig = crypto::sign(key, crypto::SignatureScheme::kEcdsaSha256, message,
                          crypto::EcdsaEncoding::kRaw);
  EXPECT_TRUE(sig) << sig.error().toString();
  return sig.value_or(Bytes(64, 0));
}

}  // namespace

Bytes sgxExtension(const std::array<std::uint8_t, 6>& fmspc, std::uint8_t svn,
                   std::uint16_t pce_svn) {
  Bytes tcb;
  for (std::uint8_t i = 1; i <= 16; ++i) {
    append(tcb, member(sgxOid({2, i}), tlv(0x02, Bytes{svn})));
  }
  append(tcb, member(sgxOid({2, 17}), tlv(0x02, Bytes{0x00, static_cast<std::uint8_t>(pce_svn >> 8),
                                                      static_cast<std::uint8_t>(pce_svn)})));
  append(tcb, member(sgxOid({2, 18}), tlv(0x04, Bytes(16, svn))));
  Bytes all;
  append(all, member(sgxOid({1}), tlv(0x04, Bytes(16, 0xaa))));
  append(all, member(sgxOid({2}), tlv(0x30, tcb)));
  append(all, member(sgxOid({3}), tlv(0x04, Bytes{0, 0})));
  append(all, member(sgxOid({4}), tlv(0x04, fmspc)));
  append(all, member(sgxOid({5}), tlv(0x0a, Bytes{1})));
  append(all, member(sgxOid({6}), tlv(0x04, Bytes(16, 0x5a))));
  return tlv(0x30, all);
}

QuoteBuilder::QuoteBuilder()
    : root_(CertBuilder().subject("CN=Test SGX Root CA").ca(true).build()),
      ca_(CertBuilder().subject("CN=Test SGX PCK Platform CA").issuer(root_).ca(true, 0).build()),
      pck_(CertBuilder()
               .subject("CN=Test SGX PCK Certificate")
               .issuer(ca_)
               .extension("1.2.840.113741.1.13.1",
                          sgxExtension({0x00, 0xa0, 0x6d, 0x08, 0, 0}, 3, 11))
               .build()),
      attestation_key_(*crypto::Key::generate(crypto::KeyType::kEcP256)) {}

QuoteBuilder& QuoteBuilder::version(std::uint16_t v, std::uint16_t body_type) {
  version_ = v;
  body_type_ = body_type;
  return *this;
}

QuoteBuilder& QuoteBuilder::reportData(ByteSpan data) {
  std::fill(body_.report_data.begin(), body_.report_data.end(), 0);
  std::copy_n(data.begin(), std::min(data.size(), body_.report_data.size()),
              body_.report_data.begin());
  return *this;
}

QuoteBuilder& QuoteBuilder::mrConfigId(ByteSpan data) {
  std::copy_n(data.begin(), std::min(data.size(), body_.mr_config_id.size()),
              body_.mr_config_id.begin());
  return *this;
}

QuoteBuilder& QuoteBuilder::tdAttributes(std::uint64_t attributes) {
  for (std::size_t i = 0; i < 8; ++i) {
    body_.td_attributes[i] = static_cast<std::uint8_t>(attributes >> (8 * i));
  }
  return *this;
}

QuoteBuilder& QuoteBuilder::rtmr(std::size_t i, ByteSpan value) {
  std::copy_n(value.begin(), std::min<std::size_t>(48, value.size()), body_.rtmr[i].begin());
  return *this;
}

QuoteBuilder& QuoteBuilder::pckLeaf(const cocoon::test::IssuedCert& leaf) {
  pck_ = leaf;
  return *this;
}

Bytes QuoteBuilder::build() const {
  Bytes q;
  le16(q, version_);
  le16(q, kAttestationKeyEcdsaP256);
  le32(q, kTeeTypeTdx);
  le16(q, 0);
  le16(q, 0);
  append(q, kIntelQeVendorId);
  append(q, std::array<std::uint8_t, 20>{});
  const bool tdx15 = version_ == kQuoteVersion5 && body_type_ == kBodyTypeTdx15;
  if (version_ == kQuoteVersion5) {
    le16(q, body_type_);
    le32(q, static_cast<std::uint32_t>(tdx15 ? kTdReport15Size : kTdReport10Size));
  }
  const TdReportBody& b = body_;
  for (ByteSpan part :
       {ByteSpan(b.tee_tcb_svn), ByteSpan(b.mr_seam), ByteSpan(b.mr_signer_seam),
        ByteSpan(b.seam_attributes), ByteSpan(b.td_attributes), ByteSpan(b.xfam), ByteSpan(b.mr_td),
        ByteSpan(b.mr_config_id), ByteSpan(b.mr_owner), ByteSpan(b.mr_owner_config)}) {
    append(q, part);
  }
  for (const Hash384& r : b.rtmr) {
    append(q, r);
  }
  append(q, b.report_data);
  if (tdx15) {
    append(q, Bytes(16 + 48, 0x15));
  }
  const Bytes quote_sig = sign(attestation_key_, q);

  auto point = *attestation_key_.ecPoint();
  Bytes ak = point.x;
  append(ak, point.y);
  const Bytes auth(32, 0xa5);
  Bytes qe_report(kEnclaveReportSize, 0);
  Bytes bound = ak;
  append(bound, auth);
  const Bytes binding = crypto::sha256(bound);
  std::copy(binding.begin(), binding.end(), qe_report.end() - 64);
  const std::string pem = pck_.cert.pem() + ca_.cert.pem() + root_.cert.pem();
  Bytes pem_bytes = toBytes(pem);
  pem_bytes.push_back(0);

  Bytes cert;
  append(cert, qe_report);
  append(cert, sign(pck_.key, qe_report));
  le16(cert, static_cast<std::uint16_t>(auth.size()));
  append(cert, auth);
  le16(cert, kCertDataPckChain);
  le32(cert, static_cast<std::uint32_t>(pem_bytes.size()));
  append(cert, pem_bytes);

  Bytes sig;
  append(sig, quote_sig);
  append(sig, ak);
  le16(sig, kCertDataQeReport);
  le32(sig, static_cast<std::uint32_t>(cert.size()));
  append(sig, cert);

  le32(q, static_cast<std::uint32_t>(sig.size()));
  append(q, sig);
  return q;
}

CcelBuilder& CcelBuilder::event(std::uint32_t index, std::uint32_t type, ByteSpan data) {
  le32(events_, index);
  le32(events_, type);
  le32(events_, 1);
  le16(events_, 0x000c);
  append(events_, crypto::sha384(data));
  le32(events_, static_cast<std::uint32_t>(data.size()));
  append(events_, data);
  return *this;
}

Bytes CcelBuilder::build(std::size_t size) const {
  Bytes spec = toBytes(std::string_view("Spec ID Event03\0", 16));
  le32(spec, 0);                    // platformClass
  append(spec, Bytes{0, 2, 0, 2});  // spec version minor/major, errata, uintnSize
  le32(spec, 1);
  le16(spec, 0x000c);
  le16(spec, 48);
  spec.push_back(0);  // vendorInfoSize
  Bytes out;
  le32(out, 0);
  le32(out, 3);  // EV_NO_ACTION
  append(out, Bytes(20, 0));
  le32(out, static_cast<std::uint32_t>(spec.size()));
  append(out, spec);
  append(out, events_);
  if (out.size() < size) {
    out.resize(size, 0xff);
  }
  return out;
}

Bytes extend384(ByteSpan rtmr, ByteSpan digest) {
  Bytes in(rtmr.begin(), rtmr.end());
  append(in, digest);
  return crypto::sha384(in);
}

std::optional<Bytes> evidenceFile(const std::string& relative) {
  auto bytes =
      readFile(std::filesystem::path(COCOON_TESTDATA_DIR) / "evidence" / relative, 32 << 20);
  if (!bytes) {
    return std::nullopt;
  }
  return *bytes;
}

}  // namespace cocoon::verify::tdx::test
