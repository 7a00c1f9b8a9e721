// SPDX-License-Identifier: Apache-2.0
// EventPublisher: Envelope + Forward over ttrpc.
#include "runtime/shim/events.h"

#include <chrono>
#include <utility>

#include <google/protobuf/empty.pb.h>

#include "common/log.h"
#include "proto/shim/event_forward.pb.h"

namespace cocoon::runtime::shim {

google::protobuf::Timestamp timestampNow() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  google::protobuf::Timestamp t;
  t.set_seconds(seconds.count());
  t.set_nanos(static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
  return t;
}

EventPublisher::EventPublisher(std::string ttrpc_address, std::string ns)
    : address_(std::move(ttrpc_address)), namespace_(std::move(ns)) {}

void EventPublisher::publish(std::string_view topic, const google::protobuf::Message& event) {
  if (address_.empty()) {
    COCOON_LOG(kDebug, "shim", "event {} (no TTRPC_ADDRESS: not published)", topic);
    return;
  }
  containerd::services::events::ttrpc::v1::ForwardRequest request;
  auto* envelope = request.mutable_envelope();
  *envelope->mutable_timestamp() = timestampNow();
  envelope->set_namespace_(namespace_);
  envelope->set_topic(std::string(topic));
  envelope->mutable_event()->set_type_url(event.GetTypeName());
  envelope->mutable_event()->set_value(event.SerializeAsString());

  std::lock_guard lock(mutex_);
  if (!client_) {
    ttrpc::Address address;
    address.kind = ttrpc::Address::Kind::kUnix;
    address.path = address_;
    auto client = AgentClient::open(address, "containerd.services.events.ttrpc.v1.Events");
    if (!client) {
      COCOON_LOG(kWarn, "shim", "event {} not published: {}", topic, client.error().message);
      return;
    }
    client_ = std::move(*client);
  }
  auto sent = client_->call<google::protobuf::Empty>("Forward", request, std::chrono::seconds(5));
  if (!sent) {
    COCOON_LOG(kWarn, "shim", "event {} not published: {}", topic, sent.error().message);
    client_.reset();  // reconnect next time
  }
}

}  // namespace cocoon::runtime::shim
