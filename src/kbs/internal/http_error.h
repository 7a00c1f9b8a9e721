// SPDX-License-Identifier: Apache-2.0
// How the KBS answers failures: an HTTP status and the protocol's error body.
#pragma once

#include <string>

#include "common/error.h"
#include "http/server/request.h"
#include "kbs_protocol/messages.h"

namespace cocoon::kbs::internal {

// A failure with the HTTP status and protocol error kind the client sees.
struct HttpFailure {
  unsigned status;
  std::string kind;  // "AttestationError", ..., or "InvalidRequest" for malformed input
  std::string detail;
};

HttpFailure failure(unsigned status, kbs_protocol::ErrorKind kind, std::string detail);
// 400 InvalidRequest for malformed input (kInvalidArgument, kResourceExhausted,
// kUnimplemented), otherwise `status`/`kind`; the detail is the error's one-line text.
HttpFailure failureFrom(const Error& error, unsigned status, kbs_protocol::ErrorKind kind);

http::server::Response toResponse(const HttpFailure& failure);

}  // namespace cocoon::kbs::internal
