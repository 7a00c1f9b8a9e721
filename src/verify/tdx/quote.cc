// SPDX-License-Identifier: Apache-2.0
// TDX quote v4/v5 parsing, field by field in the order of the Quoting Library API tables.
#include "verify/tdx/quote.h"

#include <algorithm>

#include "common/byte_reader.h"
#include "common/encoding.h"

namespace cocoon::verify::tdx {
namespace {

// A.3.1.
Result<QuoteHeader> readHeader(ByteReader& in) {
  QuoteHeader h;
  COCOON_ASSIGN_OR_RETURN(h.version, in.readU16Le());
  COCOON_ASSIGN_OR_RETURN(h.att_key_type, in.readU16Le());
  COCOON_ASSIGN_OR_RETURN(h.tee_type, in.readU32Le());
  COCOON_ASSIGN_OR_RETURN(h.qe_svn, in.readU16Le());
  COCOON_ASSIGN_OR_RETURN(h.pce_svn, in.readU16Le());
  COCOON_TRY(in.readArray(h.qe_vendor_id));
  COCOON_TRY(in.readArray(h.user_data));
  return h;
}

// A.3.2 (TDX 1.0 fields; body type 3 appends tee_tcb_svn2 and mr_servicetd).
Result<TdReportBody> readBody(ByteReader& in, bool tdx15) {
  TdReportBody b;
  COCOON_TRY(in.readArray(b.tee_tcb_svn));
  COCOON_TRY(in.readArray(b.mr_seam));
  COCOON_TRY(in.readArray(b.mr_signer_seam));
  COCOON_TRY(in.readArray(b.seam_attributes));
  COCOON_TRY(in.readArray(b.td_attributes));
  COCOON_TRY(in.readArray(b.xfam));
  COCOON_TRY(in.readArray(b.mr_td));
  COCOON_TRY(in.readArray(b.mr_config_id));
  COCOON_TRY(in.readArray(b.mr_owner));
  COCOON_TRY(in.readArray(b.mr_owner_config));
  for (Hash384& r : b.rtmr) {
    COCOON_TRY(in.readArray(r));
  }
  COCOON_TRY(in.readArray(b.report_data));
  if (tdx15) {
    COCOON_TRY(in.readArray(b.tee_tcb_svn2.emplace()));
    COCOON_TRY(in.readArray(b.mr_servicetd.emplace()));
  }
  return b;
}

// A.4.2 SGX report body; reserved fields are skipped.
Result<EnclaveReport> readEnclaveReport(ByteReader& in) {
  EnclaveReport r;
  COCOON_TRY(in.readArray(r.cpu_svn));
  COCOON_ASSIGN_OR_RETURN(r.misc_select, in.readU32Le());
  COCOON_TRY(in.skip(28));  // reserved (12) and isv_ext_prod_id (16)
  COCOON_TRY(in.readArray(r.attributes));
  COCOON_TRY(in.readArray(r.mr_enclave));
  COCOON_TRY(in.skip(32));
  COCOON_TRY(in.readArray(r.mr_signer));
  COCOON_TRY(in.skip(32 + 64));  // reserved, config_id
  COCOON_ASSIGN_OR_RETURN(r.isv_prod_id, in.readU16Le());
  COCOON_ASSIGN_OR_RETURN(r.isv_svn, in.readU16Le());
  COCOON_TRY(in.skip(2 + 42 + 16));  // config_svn, reserved, isv_family_id
  COCOON_TRY(in.readArray(r.report_data));
  return r;
}

// A.3.9 certification data header: type and the reader over its declared size.
struct CertData {
  std::uint16_t type = 0;
  ByteReader data{ByteSpan{}};
};

Result<CertData> readCertData(ByteReader& in, std::string_view what) {
  CertData c;
  const std::size_t at = in.offset();
  COCOON_ASSIGN_OR_RETURN(c.type, in.readU16Le());
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
  if (size > in.remaining()) {
    return fail(Code::kOutOfRange, "{} at offset {} declares {} bytes, {} remain in the quote",
                what, at, size, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(c.data, in.subReader(size));
  return c;
}

// A.3.11 QE report certification data, and the PCK chain inside it.
Status readQeReportCertData(ByteReader& in, TdxQuote& q) {
  const std::size_t start = in.offset();
  COCOON_ASSIGN_OR_RETURN(ByteSpan raw, in.readSpan(kEnclaveReportSize));
  q.qe_report_raw.assign(raw.begin(), raw.end());
  ByteReader report(raw);
  COCOON_ASSIGN_OR_RETURN(q.qe_report, readEnclaveReport(report));
  COCOON_TRY(in.readArray(q.qe_report_signature));
  COCOON_ASSIGN_OR_RETURN(std::uint16_t auth_size, in.readU16Le());
  if (auth_size > in.remaining()) {
    return fail(Code::kOutOfRange,
                "QE auth data size {} at offset {} is bigger than the {} bytes remaining",
                auth_size, in.offset() - 2, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan auth, in.readSpan(auth_size));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  COCOON_ASSIGN_OR_RETURN(CertData inner, readCertData(in, "inner certification data"));
  q.inner_cert_data_type = inner.type;
  if (inner.type != kCertDataPckChain) {
    return fail(Code::kUnimplemented,
                "inner certification data type is {}, expected {} (PCK certificate chain)",
                inner.type, kCertDataPckChain);
  }
  if (inner.data.size() > kMaxPckChainSize) {
    return fail(Code::kInvalidArgument, "PCK certificate chain has {} bytes, the limit is {}",
                inner.data.size(), kMaxPckChainSize);
  }
  ByteSpan pem = inner.data.readRest();
  while (!pem.empty() && pem.back() == 0) {
    pem = pem.first(pem.size() - 1);
  }
  q.pck_chain_pem = toString(pem);
  if (in.remaining() != 0) {
    return fail(Code::kInvalidArgument,
                "QE report certification data at offset {} has {} bytes after its contents", start,
                in.remaining());
  }
  return okStatus();
}

}  // namespace

Result<TdxQuote> parseTdxQuote(ByteSpan bytes) {
  if (bytes.size() > kMaxQuoteSize) {
    return fail(Code::kInvalidArgument, "quote has {} bytes, the limit is {}", bytes.size(),
                kMaxQuoteSize);
  }
  ByteReader in(bytes);
  TdxQuote q;
  COCOON_ASSIGN_OR_RETURN(q.header, readHeader(in));
  bool tdx15 = false;
  if (q.header.version == kQuoteVersion5) {
    COCOON_ASSIGN_OR_RETURN(std::uint16_t type, in.readU16Le());
    COCOON_ASSIGN_OR_RETURN(std::uint32_t size, in.readU32Le());
    if (type != kBodyTypeTdx10 && type != kBodyTypeTdx15) {
      return fail(Code::kUnimplemented,
                  "quote v5 body type is {}, expected 2 (TDX 1.0) or 3 "
                  "(TDX 1.5)",
                  type);
    }
    tdx15 = type == kBodyTypeTdx15;
    const std::size_t want = tdx15 ? kTdReport15Size : kTdReport10Size;
    if (size != want) {
      return fail(Code::kInvalidArgument, "quote v5 body type {} declares size {}, expected {}",
                  type, size, want);
    }
    q.body_type = type;
  } else if (q.header.version != kQuoteVersion4) {
    return fail(Code::kUnimplemented, "quote version is {}, expected 4 or 5", q.header.version);
  }
  COCOON_ASSIGN_OR_RETURN(q.body, readBody(in, tdx15));
  const ByteSpan signed_span = bytes.first(in.offset());
  q.signed_data.assign(signed_span.begin(), signed_span.end());

  COCOON_ASSIGN_OR_RETURN(std::uint32_t sig_size, in.readU32Le());
  if (sig_size > in.remaining()) {
    return fail(Code::kOutOfRange,
                "signature data length {} at offset {} is bigger than the {} bytes remaining",
                sig_size, in.offset() - 4, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(ByteReader sig, in.subReader(sig_size));
  COCOON_TRY(sig.readArray(q.signature));
  COCOON_TRY(sig.readArray(q.attestation_key));
  COCOON_ASSIGN_OR_RETURN(CertData cert, readCertData(sig, "certification data"));
  q.cert_data_type = cert.type;
  if (cert.type != kCertDataQeReport) {
    return fail(Code::kUnimplemented,
                "certification data type is {}, expected {} (QE report certification data)",
                cert.type, kCertDataQeReport);
  }
  COCOON_TRY(readQeReportCertData(cert.data, q));
  if (sig.remaining() != 0) {
    return fail(Code::kInvalidArgument, "signature data has {} bytes after the certification data",
                sig.remaining());
  }
  const ByteSpan rest = in.readRest();
  const auto nonzero = std::find_if(rest.begin(), rest.end(), [](std::uint8_t b) { return b; });
  if (nonzero != rest.end()) {
    return fail(Code::kInvalidArgument,
                "quote has {} bytes after its signature data and byte {} of them is not zero",
                rest.size(), nonzero - rest.begin());
  }
  q.trailing_zeros = rest.size();
  return q;
}

Status validateTdxQuote(const TdxQuote& quote) {
  if (quote.header.att_key_type != kAttestationKeyEcdsaP256) {
    return fail(Code::kUnimplemented, "attestation key type is {}, expected 2 (ECDSA P-256)",
                quote.header.att_key_type);
  }
  if (quote.header.tee_type != kTeeTypeTdx) {
    return fail(Code::kUnimplemented, "TEE type is {:#x}, expected 0x81 (TDX)",
                quote.header.tee_type);
  }
  if (quote.header.qe_vendor_id != kIntelQeVendorId) {
    return fail(Code::kUnimplemented, "QE vendor ID is {}, expected Intel's {}",
                hexEncode(quote.header.qe_vendor_id), hexEncode(kIntelQeVendorId));
  }
  return okStatus();
}

}  // namespace cocoon::verify::tdx
