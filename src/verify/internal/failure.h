// SPDX-License-Identifier: Apache-2.0
// Small helpers every verifier uses to turn errors into VerifyFailures.
#pragma once

#include <string>

#include "common/error.h"
#include "common/result.h"
#include "verify/verifier.h"

namespace cocoon::verify::internal {

using Failure = unexpected<VerifyFailure>;

inline Failure failure(VerifyReason reason, std::string message) {
  return Failure(VerifyFailure{reason, std::move(message)});
}

// "context: message" of an error, without the code name (the reason names the class).
inline std::string describeError(const Error& error) {
  std::string out;
  for (auto it = error.context.rbegin(); it != error.context.rend(); ++it) {
    out += *it + ": ";
  }
  return out + error.message;
}

}  // namespace cocoon::verify::internal
