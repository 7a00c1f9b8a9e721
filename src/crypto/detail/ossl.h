// SPDX-License-Identifier: Apache-2.0
// Owning handles for OpenSSL objects and OpenSSL error-queue text (crypto/ internal).
#pragma once

#include <memory>
#include <string>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace cocoon::crypto::detail {

template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, Free>>;

using PkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BnPtr = OsslPtr<BIGNUM, BN_free>;
// For private values: zeroes the limbs before freeing.
using SecretBnPtr = OsslPtr<BIGNUM, BN_clear_free>;
using ParamBldPtr = OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = OsslPtr<OSSL_PARAM, OSSL_PARAM_free>;

// The reason of the most recent queued OpenSSL error ("no detail" when none), after which
// the queue is cleared so that a later, unrelated failure does not report a stale reason.
inline std::string takeOpensslError() {
  std::string reason = "no detail";
  unsigned long last = 0;
  while (unsigned long code = ERR_get_error()) {
    last = code;
  }
  if (last != 0) {
    if (const char* text = ERR_reason_error_string(last)) {
      reason = text;
    } else {
      reason = "error " + std::to_string(ERR_GET_REASON(last));
    }
  }
  return reason;
}

}  // namespace cocoon::crypto::detail
