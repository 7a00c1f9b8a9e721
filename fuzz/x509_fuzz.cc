// SPDX-License-Identifier: Apache-2.0
// Fuzzes certificate and CRL parsing (DER and PEM bundles) and every accessor of a parsed
// certificate; what parses must keep its exact DER.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cocoon::crypto;
  const cocoon::ByteSpan bytes(data, size);
  if (auto cert = Certificate::fromDer(bytes)) {
    if (cert->der().size() != size) {
      std::abort();
    }
    (void)cert->subject();
    (void)cert->issuer();
    (void)cert->serialHex();
    (void)cert->notBefore();
    (void)cert->notAfter();
    (void)cert->publicKey();
    (void)cert->isCa();
    (void)cert->isSelfIssued();
    (void)cert->extension("1.3.6.1.4.1.3704.1.3.1");
    (void)cert->extension("2.5.29.19");
  }
  if (auto crl = Crl::fromDer(bytes)) {
    (void)crl->issuer();
    (void)crl->thisUpdate();
    (void)crl->nextUpdate();
    (void)crl->isRevoked("01");
  }
  (void)Certificate::parsePemBundle(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
