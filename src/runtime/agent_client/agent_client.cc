// SPDX-License-Identifier: Apache-2.0
// AgentClient: a ttrpc client on its own I/O thread, called from plain threads.
#include "runtime/agent_client/agent_client.h"

#include <utility>

#include "proto/agent/health.pb.h"

namespace cocoon::runtime {

Result<std::unique_ptr<AgentClient>> AgentClient::open(const ttrpc::Address& address,
                                                       std::string service) {
  auto client = std::unique_ptr<AgentClient>(new AgentClient());
  client->service_ = std::move(service);
  COCOON_ASSIGN_OR_RETURN(client->client_,
                          ttrpc::Client::connect(client->io_.get_executor(), address));
  client->thread_ = std::thread([io = &client->io_] { io->run(); });
  return client;
}

AgentClient::~AgentClient() {
  close();
  guard_.reset();
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AgentClient::close() {
  if (client_) {
    client_->close();
  }
}

Status checkServingAnswer(const std::string& answer) {
  grpc::HealthCheckResponse response;
  if (!response.ParseFromString(answer)) {
    return fail(Code::kInternal, "grpc.Health/Check: undecodable HealthCheckResponse");
  }
  if (response.status() != grpc::HealthCheckResponse::SERVING) {
    return fail(Code::kUnavailable, "grpc.Health/Check: status {} (expected SERVING)",
                grpc::HealthCheckResponse::ServingStatus_Name(response.status()));
  }
  return okStatus();
}

Status AgentClient::confirmAnswering() {
  Error last{Code::kDeadlineExceeded, "no attempt made"};
  for (std::chrono::milliseconds timeout{1000}; timeout <= std::chrono::seconds(16); timeout *= 2) {
    auto answer = client_->callBlocking(
        "grpc.Health", "Check", grpc::CheckRequest().SerializeAsString(), {.timeout = timeout});
    if (!answer) {
      if (answer.error().code != Code::kDeadlineExceeded) {
        return fail(answer.error().code, "grpc.Health/Check: {}", answer.error().message);
      }
      last = std::move(answer).error();
      continue;
    }
    return checkServingAnswer(*answer);
  }
  return fail(Code::kDeadlineExceeded, "grpc.Health/Check: no answer after 5 tries: {}",
              last.message);
}

Result<std::string> AgentClient::callRaw(const char* method, std::string payload,
                                         std::optional<std::chrono::milliseconds> timeout) {
  ttrpc::CallOptions options;
  if (timeout) {
    options.timeout = *timeout;
  }
  auto answer = client_->callBlocking(service_, method, std::move(payload), options);
  if (!answer) {
    return fail(answer.error().code, "{}: {}", method, answer.error().message);
  }
  return std::move(*answer);
}

}  // namespace cocoon::runtime
