// SPDX-License-Identifier: Apache-2.0
// AgentClient: blocking, typed calls to the guest agent's grpc.AgentService over ttrpc,
// for host code that runs on plain threads (the shim's task service, `cocoon sandbox run`).
// Trust: answers are the guest's; they are size-capped and decoded by the ttrpc client,
// and whoever uses a field checks it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/result.h"
#include "ttrpc/address.h"
#include "ttrpc/client.h"

namespace cocoon::runtime {

// One connection to the agent; its I/O runs on a thread of its own. Thread-safe: calls
// may overlap (each waits for its own answer), so one thread can block in WaitProcess
// while others read output.
class AgentClient {
 public:
  // The service name the agent registers (Kata's).
  static constexpr const char* kService = "grpc.AgentService";

  // Calls go to `service` (the agent's by default; the shim also uses this class for
  // containerd's events service).
  // Errors: kUnavailable when the peer cannot be reached (see ttrpc::Client::connect).
  static Result<std::unique_ptr<AgentClient>> open(const ttrpc::Address& address,
                                                   std::string service = kService);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // Calls service.`method` with `request` and parses the answer as Resp. No timeout:
  // waits as long as the connection lives.
  // Errors: the agent's status or the transport's (ttrpc::Client::call), the message
  // prefixed with the method name; kInternal when the answer does not parse as Resp.
  template <class Resp, class Req>
  Result<Resp> call(const char* method, const Req& request,
                    std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    COCOON_ASSIGN_OR_RETURN(std::string answer,
                            callRaw(method, request.SerializeAsString(), timeout));
    Resp resp;
    if (!resp.ParseFromString(answer)) {
      return fail(Code::kInternal, "{}: undecodable {} answer", method, resp.GetTypeName());
    }
    return resp;
  }

  // call() on serialized messages, for callers that pick the message types at run time
  // (`cocoon agent-ctl CALL JSON`). Same errors as call(), without the parse.
  Result<std::string> callRaw(const char* method, std::string payload,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Makes sure the agent answers on this connection before the first call that matters:
  // grpc.Health/Check, asked again on the same connection (timeouts 1, 2, 4, 8 and 16 s)
  // while no answer comes. Why: over virtio-serial the guest learns that a host
  // connection closed through a control queue that races the data queue, so right after
  // another host connection (the sandbox's readiness probe) closed, the guest may take
  // the close for this connection's and drop the answer to its first call. It then
  // serves the next call on a fresh session. Call it once, after open(), on a connection
  // to the agent (not to other services).
  // Errors: the Check's error other than a timeout (kUnavailable, ...); kDeadlineExceeded
  // after the last timeout; kUnavailable when the agent is not SERVING.
  Status confirmAnswering();

  // Closes the connection: calls in flight and later fail kUnavailable. Idempotent.
  void close();

 private:
  AgentClient() = default;

  std::string service_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<ttrpc::Client> client_;
  std::thread thread_;
};

// Checks the serialized answer to grpc.Health/Check: OK when it says SERVING.
// Errors: kInternal "grpc.Health/Check: undecodable HealthCheckResponse"; kUnavailable
// "grpc.Health/Check: status S (expected SERVING)".
Status checkServingAnswer(const std::string& answer);

}  // namespace cocoon::runtime
