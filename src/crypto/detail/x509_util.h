// SPDX-License-Identifier: Apache-2.0
// Printing X.509 names and serial numbers (crypto/ internal).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"

namespace cocoon::crypto::detail {

// RFC 2253 form ("CN=leaf,O=cocoon"); escapes as OpenSSL's XN_FLAG_RFC2253 does.
inline std::string nameToString(const X509_NAME* name) {
  OsslPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  cryptoCheck(bio != nullptr && X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) >= 0,
              "X509_NAME_print_ex");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(std::max(len, 0L)));
}

// Lower-case hex without leading zeros ("0" for zero, "-" before a negative value).
inline std::string integerToHex(const ASN1_INTEGER* value) {
  OsslPtr<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(value, nullptr));
  cryptoCheck(bn != nullptr, "ASN1_INTEGER_to_BN");
  char* raw = BN_bn2hex(bn.get());
  cryptoCheck(raw != nullptr, "BN_bn2hex");
  std::string hex(raw);
  OPENSSL_free(raw);
  std::size_t start = hex.front() == '-' ? 1 : 0;
  std::size_t first = hex.find_first_not_of('0', start);
  hex.erase(start, (first == std::string::npos ? hex.size() - 1 : first) - start);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return hex;
}

}  // namespace cocoon::crypto::detail
