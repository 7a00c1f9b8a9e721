// SPDX-License-Identifier: Apache-2.0
// Decoding of the VCEK/VLEK TCB and hwID extensions.
#include "verify/snp/endorsement.h"

#include <string>

#include "common/byte_reader.h"

namespace cocoon::verify::snp {
namespace {

constexpr std::uint8_t kDerInteger = 0x02;
constexpr std::uint8_t kDerOctetString = 0x04;

// A DER INTEGER (short form length) holding 0..255: 02 01 vv, or 02 02 00 vv for vv >= 0x80.
Result<std::uint8_t> splValue(const crypto::Certificate& cert, std::string_view oid) {
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> value, cert.extensionValue(oid));
  if (!value) {
    return fail(Code::kInvalidArgument, "certificate '{}' has no extension {}", cert.subject(),
                oid);
  }
  ByteReader in(*value);
  auto tag = in.readU8();
  auto len = in.readU8();
  if (!tag || !len || *tag != kDerInteger || *len == 0 || *len > 2 || in.remaining() != *len) {
    return fail(Code::kInvalidArgument, "extension {}: expected a DER INTEGER of 1-2 bytes", oid);
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan bytes, in.readSpan(*len));
  if (bytes[0] >= 0x80 || (*len == 2 && (bytes[0] != 0 || bytes[1] < 0x80))) {
    return fail(Code::kInvalidArgument, "extension {}: not a minimal 0..255 INTEGER", oid);
  }
  return bytes[*len - 1];
}

}  // namespace

Result<TcbVersion> certificateTcb(const crypto::Certificate& cert, Product product) {
  TcbVersion tcb;
  COCOON_ASSIGN_OR_RETURN(tcb.bootloader, splValue(cert, "1.3.6.1.4.1.3704.1.3.1"));
  COCOON_ASSIGN_OR_RETURN(tcb.tee, splValue(cert, "1.3.6.1.4.1.3704.1.3.2"));
  COCOON_ASSIGN_OR_RETURN(tcb.snp, splValue(cert, "1.3.6.1.4.1.3704.1.3.3"));
  COCOON_ASSIGN_OR_RETURN(tcb.microcode, splValue(cert, "1.3.6.1.4.1.3704.1.3.8"));
  if (product == Product::kTurin) {
    COCOON_ASSIGN_OR_RETURN(tcb.fmc, splValue(cert, "1.3.6.1.4.1.3704.1.3.9"));
  }
  return tcb;
}

Result<std::optional<Bytes>> certificateHwid(const crypto::Certificate& cert) {
  constexpr std::string_view kOid = "1.3.6.1.4.1.3704.1.4";
  COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> value, cert.extensionValue(kOid));
  if (!value) {
    return std::optional<Bytes>{};
  }
  // Older VCEKs carry the 64 bytes unwrapped; newer ones (and Turin's 8 bytes) as an
  // OCTET STRING with a short-form length.
  if (value->size() == 64) {
    return value;
  }
  if (value->size() >= 2 && (*value)[0] == kDerOctetString && (*value)[1] < 0x80 &&
      (*value)[1] == value->size() - 2) {
    return std::optional<Bytes>(Bytes(value->begin() + 2, value->end()));
  }
  return fail(Code::kInvalidArgument, "extension {}: {} bytes, neither raw nor an OCTET STRING",
              kOid, value->size());
}

std::optional<Product> productFromIssuer(const crypto::Certificate& cert, bool vlek) {
  // RFC 2253 form: the CN is the last RDN AMD writes ("...,CN=SEV-Milan") or appears
  // among them; take the CN= attribute wherever it is.
  const std::string issuer = cert.issuer();
  const std::string_view prefix = vlek ? "CN=SEV-VLEK-" : "CN=SEV-";
  std::size_t pos = 0;
  while ((pos = issuer.find(prefix, pos)) != std::string::npos) {
    if (pos == 0 || issuer[pos - 1] == ',') {
      const std::size_t start = pos + prefix.size();
      const std::size_t end = issuer.find(',', start);
      const std::string name = issuer.substr(start, end == std::string::npos ? end : end - start);
      return productFromName(name);
    }
    pos += prefix.size();
  }
  return std::nullopt;
}

}  // namespace cocoon::verify::snp
