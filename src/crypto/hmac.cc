// SPDX-License-Identifier: Apache-2.0
// HMAC on OpenSSL's EVP_MAC "HMAC", fetched once per process.
#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/detail/fatal.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;

EVP_MAC* evpHmac() {
  static EVP_MAC* const kMac = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    cryptoCheck(mac != nullptr, "fetching EVP_MAC HMAC");
    return mac;
  }();
  return kMac;
}

const char* providerDigestName(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha256:
      return "SHA256";
    case DigestAlgorithm::kSha384:
      return "SHA384";
    case DigestAlgorithm::kSha512:
      return "SHA512";
    case DigestAlgorithm::kSha1:
      break;
  }
  detail::cryptoFatal("HMAC needs a SHA-2 digest (REQUIRES violated)");
}

}  // namespace

Bytes hmac(DigestAlgorithm alg, ByteSpan key, ByteSpan data) {
  Hmac mac(alg, key);
  mac.update(data);
  return mac.finish();
}

Hmac::Hmac(DigestAlgorithm alg, ByteSpan key) : ctx_(EVP_MAC_CTX_new(evpHmac()), EVP_MAC_CTX_free) {
  cryptoCheck(ctx_ != nullptr, "EVP_MAC_CTX_new");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(providerDigestName(alg)), 0),
      OSSL_PARAM_construct_end(),
  };
  // A null key means "keep the previous key" to EVP_MAC_init; RFC 2104 allows an empty one.
  static const std::uint8_t kNoKey = 0;
  const std::uint8_t* key_data = key.empty() ? &kNoKey : key.data();
  cryptoCheck(EVP_MAC_init(ctx_.get(), key_data, key.size(), params) == 1, "EVP_MAC_init");
}

Hmac::Hmac(Hmac&&) noexcept = default;
Hmac& Hmac::operator=(Hmac&&) noexcept = default;
Hmac::~Hmac() = default;

void Hmac::update(ByteSpan data) {
  cryptoCheck(EVP_MAC_update(ctx_.get(), data.data(), data.size()) == 1, "EVP_MAC_update");
}

Bytes Hmac::finish() {
  Bytes out(EVP_MAC_CTX_get_mac_size(ctx_.get()));
  std::size_t out_len = 0;
  cryptoCheck(EVP_MAC_final(ctx_.get(), out.data(), &out_len, out.size()) == 1, "EVP_MAC_final");
  out.resize(out_len);
  return out;
}

}  // namespace cocoon::crypto
