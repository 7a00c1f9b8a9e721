// SPDX-License-Identifier: Apache-2.0
// Request/Response envelope codecs on the protoc-generated messages.
#include "ttrpc/message.h"

#include <limits>

#include "proto/ttrpc/ttrpc.pb.h"
#include "ttrpc/frame.h"

namespace cocoon::ttrpc {

std::optional<std::string_view> metadataValue(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

std::string encodeRequest(const Request& request) {
  wire::Request msg;
  msg.set_service(request.service);
  msg.set_method(request.method);
  msg.set_payload(request.payload);
  msg.set_timeout_nano(request.timeout_nano);
  for (const auto& [key, value] : request.metadata) {
    auto* kv = msg.add_metadata();
    kv->set_key(key);
    kv->set_value(value);
  }
  return msg.SerializeAsString();
}

Result<Request> decodeRequest(ByteSpan bytes) {
  // protobuf takes an int size; frames are capped far below that, hostile callers not.
  if (bytes.size() > kMaxMessageSize) {
    return fail(Code::kInvalidArgument, "request of {} bytes exceeds the {} byte limit",
                bytes.size(), kMaxMessageSize);
  }
  wire::Request msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(Code::kInvalidArgument, "undecodable ttrpc Request ({} bytes)", bytes.size());
  }
  if (msg.timeout_nano() < 0) {
    return fail(Code::kInvalidArgument, "negative timeout_nano {}", msg.timeout_nano());
  }
  if (msg.service().empty() || msg.method().empty()) {
    return fail(Code::kInvalidArgument, "request without service or method");
  }
  Request request;
  request.service = std::move(*msg.mutable_service());
  request.method = std::move(*msg.mutable_method());
  request.payload = std::move(*msg.mutable_payload());
  request.timeout_nano = msg.timeout_nano();
  request.metadata.reserve(static_cast<std::size_t>(msg.metadata_size()));
  for (auto& kv : *msg.mutable_metadata()) {
    request.metadata.emplace_back(std::move(*kv.mutable_key()), std::move(*kv.mutable_value()));
  }
  return request;
}

std::string encodeResponse(const Result<std::string>& result) {
  wire::Response msg;
  if (result) {
    // No status field at all for OK, byte for byte what Go's ttrpc server sends.
    msg.set_payload(*result);
  } else {
    auto* status = msg.mutable_status();
    status->set_code(static_cast<std::int32_t>(result.error().code));
    // The code travels in its own field; the message is the text after "CODE: ".
    std::string text = result.error().toString();
    const std::string prefix = std::string(codeName(result.error().code)) + ": ";
    if (text.starts_with(prefix)) {
      text.erase(0, prefix.size());
    }
    status->set_message(std::move(text));
  }
  return msg.SerializeAsString();
}

Result<std::string> decodeResponse(ByteSpan bytes) {
  if (bytes.size() > kMaxMessageSize) {
    return fail(Code::kInternal, "response of {} bytes exceeds the {} byte limit", bytes.size(),
                kMaxMessageSize);
  }
  wire::Response msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(Code::kInternal, "undecodable ttrpc Response ({} bytes)", bytes.size());
  }
  const std::int32_t code = msg.status().code();
  if (code == 0) {
    return std::move(*msg.mutable_payload());
  }
  if (code < 1 || code > static_cast<std::int32_t>(Code::kUnauthenticated)) {
    return fail(Code::kUnknown, "remote status code {}: {}", code, msg.status().message());
  }
  return fail(Error(static_cast<Code>(code), msg.status().message()));
}

}  // namespace cocoon::ttrpc
