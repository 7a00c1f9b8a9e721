// SPDX-License-Identifier: Apache-2.0
// KBS error bodies.
#include "kbs/internal/http_error.h"

namespace cocoon::kbs::internal {

HttpFailure failure(unsigned status, kbs_protocol::ErrorKind kind, std::string detail) {
  return {status, std::string(kbs_protocol::errorKindName(kind)), std::move(detail)};
}

HttpFailure failureFrom(const Error& error, unsigned status, kbs_protocol::ErrorKind kind) {
  switch (error.code) {
    case Code::kInvalidArgument:
    case Code::kResourceExhausted:
    case Code::kUnimplemented:
      return {400, "InvalidRequest", error.toString()};
    default:
      return failure(status, kind, error.toString());
  }
}

http::server::Response toResponse(const HttpFailure& f) {
  kbs_protocol::ErrorInfo info{std::string(kbs_protocol::kErrorTypePrefix) + f.kind, f.detail};
  return http::server::Response::json(f.status, kbs_protocol::serializeErrorInfo(info));
}

}  // namespace cocoon::kbs::internal
