// SPDX-License-Identifier: Apache-2.0
// JoseReason names, the reason -> Code mapping and the conversion to cocoon::Error.
#include "crypto/jose/jose_error.h"

namespace cocoon::jose {

std::string_view joseReasonName(JoseReason reason) {
  switch (reason) {
    case JoseReason::kMalformed:
      return "MALFORMED";
    case JoseReason::kBadBase64:
      return "BAD_BASE64";
    case JoseReason::kTooLarge:
      return "TOO_LARGE";
    case JoseReason::kDuplicateParameter:
      return "DUPLICATE_PARAMETER";
    case JoseReason::kUnknownCritical:
      return "UNKNOWN_CRITICAL";
    case JoseReason::kUnsupportedAlgorithm:
      return "UNSUPPORTED_ALGORITHM";
    case JoseReason::kUnsupportedKey:
      return "UNSUPPORTED_KEY";
    case JoseReason::kUnsupportedFeature:
      return "UNSUPPORTED_FEATURE";
    case JoseReason::kAlgorithmNotAllowed:
      return "ALGORITHM_NOT_ALLOWED";
    case JoseReason::kKeyMismatch:
      return "KEY_MISMATCH";
    case JoseReason::kKeyNotFound:
      return "KEY_NOT_FOUND";
    case JoseReason::kInvalidKey:
      return "INVALID_KEY";
    case JoseReason::kWrongCurve:
      return "WRONG_CURVE";
    case JoseReason::kBadSignature:
      return "BAD_SIGNATURE";
    case JoseReason::kDecryptionFailed:
      return "DECRYPTION_FAILED";
    case JoseReason::kExpired:
      return "EXPIRED";
    case JoseReason::kNotYetValid:
      return "NOT_YET_VALID";
    case JoseReason::kWrongIssuer:
      return "WRONG_ISSUER";
    case JoseReason::kWrongAudience:
      return "WRONG_AUDIENCE";
    case JoseReason::kMissingClaim:
      return "MISSING_CLAIM";
    case JoseReason::kInvalidClaim:
      return "INVALID_CLAIM";
    case JoseReason::kInvalidArgument:
      return "INVALID_ARGUMENT";
  }
  return "UNKNOWN";
}

Code joseReasonCode(JoseReason reason) {
  switch (reason) {
    case JoseReason::kMalformed:
    case JoseReason::kBadBase64:
    case JoseReason::kDuplicateParameter:
    case JoseReason::kInvalidKey:
    case JoseReason::kWrongCurve:
    case JoseReason::kInvalidClaim:
    case JoseReason::kInvalidArgument:
      return Code::kInvalidArgument;
    case JoseReason::kTooLarge:
      return Code::kResourceExhausted;
    case JoseReason::kUnknownCritical:
    case JoseReason::kUnsupportedAlgorithm:
    case JoseReason::kUnsupportedKey:
    case JoseReason::kUnsupportedFeature:
      return Code::kUnimplemented;
    case JoseReason::kAlgorithmNotAllowed:
    case JoseReason::kKeyMismatch:
    case JoseReason::kKeyNotFound:
    case JoseReason::kBadSignature:
    case JoseReason::kDecryptionFailed:
    case JoseReason::kExpired:
    case JoseReason::kNotYetValid:
    case JoseReason::kWrongIssuer:
    case JoseReason::kWrongAudience:
    case JoseReason::kMissingClaim:
      return Code::kUnauthenticated;
  }
  return Code::kUnknown;
}

std::string JoseError::toString() const {
  return fmt::format("jose {}: {}", joseReasonName(reason), message);
}

JoseError::operator Error() const {
  return Error(joseReasonCode(reason), toString());
}

tl::unexpected<JoseError> joseFromError(JoseReason reason, std::string_view what,
                                        const Error& error) {
  return tl::unexpected<JoseError>(JoseError{reason, fmt::format("{}: {}", what, error.message)});
}

}  // namespace cocoon::jose
