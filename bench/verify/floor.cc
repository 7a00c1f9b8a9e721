// SPDX-License-Identifier: Apache-2.0
// The bare OpenSSL ECDSA P-384 verify that every ECDSA-signed evidence costs at least.
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "bench.h"

namespace cocoon::bench {
namespace {

void die(const char* what) {
  std::fprintf(stderr, "verify_bench: %s failed\n", what);
  std::abort();
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

}  // namespace

Row ecdsaP384Floor() {
  std::shared_ptr<EVP_PKEY> key(EVP_EC_gen("P-384"), PkeyFree{});  // shared by the closure copies
  if (!key) {
    die("EVP_EC_gen");
  }
  auto message = std::make_shared<std::vector<std::uint8_t>>(0x2A0, 0x5a);
  auto signature = std::make_shared<std::vector<std::uint8_t>>(
      static_cast<std::size_t>(EVP_PKEY_get_size(key.get())));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t sig_len = signature->size();
  if (ctx == nullptr || EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx, signature->data(), &sig_len, message->data(), message->size()) != 1) {
    die("EVP_DigestSign");
  }
  EVP_MD_CTX_free(ctx);
  signature->resize(sig_len);
  return Row{"ecdsa_p384_verify (OpenSSL floor)",
             [key, message, signature] {
               EVP_MD_CTX* verify = EVP_MD_CTX_new();
               const bool ok =
                   verify != nullptr &&
                   EVP_DigestVerifyInit(verify, nullptr, EVP_sha384(), nullptr, key.get()) == 1 &&
                   EVP_DigestVerify(verify, signature->data(), signature->size(), message->data(),
                                    message->size()) == 1;
               EVP_MD_CTX_free(verify);
               return ok;
             },
             true};
}

}  // namespace cocoon::bench
