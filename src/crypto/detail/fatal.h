// SPDX-License-Identifier: Apache-2.0
// Aborting on crypto failures that no input can cause (STYLE §4.3), with OpenSSL's reason.
#pragma once

#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>

namespace cocoon::crypto::detail {

// Prints `what` and OpenSSL's most recent queued error to stderr, then aborts. Only for
// failures that no input can cause: allocation, a missing built-in algorithm, a CSPRNG
// failure, a violated REQUIRES.
[[noreturn]] inline void cryptoFatal(const char* what) {
  char reason[256] = "no OpenSSL error queued";
  if (unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, reason, sizeof(reason));
  }
  std::fprintf(stderr, "cocoon crypto: fatal: %s (%s)\n", what, reason);
  std::abort();
}

// Aborts with `what` unless `ok`.
inline void cryptoCheck(bool ok, const char* what) {
  if (!ok) {
    cryptoFatal(what);
  }
}

}  // namespace cocoon::crypto::detail
