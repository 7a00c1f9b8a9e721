// SPDX-License-Identifier: Apache-2.0
// EventPublisher: sends task events to containerd the way shim v2 does in containerd 1.6+
// (ttrpc containerd.services.events.ttrpc.v1.Events/Forward on the socket named by
// TTRPC_ADDRESS, each event in an Envelope with the namespace and topic).
// Trust: containerd is the shim's parent and peer; publishing failures are logged and
// never fail the task operation that caused the event.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include "runtime/agent_client/agent_client.h"

namespace cocoon::runtime::shim {

// Topics of the task events (containerd's runtime package names them the same way).
inline constexpr std::string_view kTopicCreate = "/tasks/create";
inline constexpr std::string_view kTopicStart = "/tasks/start";
inline constexpr std::string_view kTopicExit = "/tasks/exit";
inline constexpr std::string_view kTopicDelete = "/tasks/delete";
inline constexpr std::string_view kTopicExecAdded = "/tasks/exec-added";
inline constexpr std::string_view kTopicExecStarted = "/tasks/exec-started";
inline constexpr std::string_view kTopicPaused = "/tasks/paused";
inline constexpr std::string_view kTopicResumed = "/tasks/resumed";

// The current time as a protobuf Timestamp (events and exit times).
google::protobuf::Timestamp timestampNow();

class EventPublisher {
 public:
  // `ttrpc_address`: the unix socket path of containerd's ttrpc server (TTRPC_ADDRESS);
  // empty: events are only logged (the shim runs outside containerd, e.g. in tests).
  EventPublisher(std::string ttrpc_address, std::string ns);

  // Publishes `event` (one of proto/shim/events.proto) under `topic`. The Any's type URL
  // is the message's full name (containerd.events.TaskExit), as containerd's typeurl
  // registry names these messages. Connects on first use and reconnects after a failure.
  // Blocks up to 5 s; failures are logged.
  void publish(std::string_view topic, const google::protobuf::Message& event);

 private:
  std::string address_;
  std::string namespace_;
  std::mutex mutex_;
  std::unique_ptr<AgentClient> client_;
};

}  // namespace cocoon::runtime::shim
