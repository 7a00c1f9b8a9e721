// SPDX-License-Identifier: Apache-2.0
// The ttrpc Request and Response envelopes (proto/ttrpc/ttrpc.proto) as plain C++ values,
// and their codecs. Trust: decode* take payloads straight from the peer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::ttrpc {

// Request metadata: key/value pairs, keys may repeat, order is kept. containerd's Go
// ttrpc lower-cases keys when its callers set them; we pass keys through unchanged.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// The first value for `key` (exact match), or nullopt.
std::optional<std::string_view> metadataValue(const Metadata& metadata, std::string_view key);

// A unary call as the server sees it (and as the client sends it).
struct Request {
  std::string service;  // e.g. "grpc.AgentService"
  std::string method;   // e.g. "CreateContainer"
  std::string payload;  // the serialized request message
  // The caller's remaining patience when it sent the call; 0 = no deadline.
  std::int64_t timeout_nano = 0;
  Metadata metadata;
  // Not on the wire: set by the server on arrival from timeout_nano (time_point::max()
  // when there is none), so handlers can stop early. A handler still running at its
  // deadline keeps running, but the caller has already been answered DEADLINE_EXCEEDED.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Serializes a Request envelope (deadline is not sent; timeout_nano is).
std::string encodeRequest(const Request& request);

// Parses a Request envelope. Errors: kInvalidArgument when the bytes are not a valid
// protobuf Request (the message names the size), when timeout_nano is negative, or when
// service or method is empty.
Result<Request> decodeRequest(ByteSpan bytes);

// Serializes a Response: the payload and no status field (as Go's ttrpc server sends
// OK), or the error's code and message (Error::toString() without the code prefix)
// and no payload.
std::string encodeResponse(const Result<std::string>& result);

// Parses a Response envelope into its payload, or the remote status as an Error with the
// same code and message. Errors: the remote status; kInternal when the bytes are not a
// valid Response; kUnknown when the status code is outside the gRPC range 1..16.
Result<std::string> decodeResponse(ByteSpan bytes);

}  // namespace cocoon::ttrpc
