// SPDX-License-Identifier: Apache-2.0
// AgentClient::confirmAnswering against a ttrpc server with the agent's health service:
// an answer lost once (as over virtio-serial right after another host connection closed)
// is asked for again on the same connection.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/files.h"
#include "proto/agent/health.pb.h"
#include "runtime/agent_client/agent_client.h"
#include "support/expect.h"
#include "ttrpc/server.h"

namespace cocoon::runtime {
namespace {

namespace asio = boost::asio;
using cocoon::test::expectError;

// The agent's grpc.Health/Check, answering `status`; the first `withheld` calls get no
// answer for 3 s (longer than confirmAnswering's first timeout), as when the guest drops
// the session that carried them.
class HealthServer {
 public:
  HealthServer(grpc::HealthCheckResponse::ServingStatus status, int withheld)
      : status_(status), withheld_(withheld) {
    address_ = {ttrpc::Address::Kind::kUnix, (dir_.path() / "agent.sock").string()};
    EXPECT_TRUE(server_.registerMethod(
        "grpc.Health", "Check",
        [this](const ttrpc::Request&) -> asio::awaitable<Result<std::string>> {
          if (calls_.fetch_add(1) < withheld_) {
            asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(3));
            co_await timer.async_wait(asio::use_awaitable);
          }
          grpc::HealthCheckResponse response;
          response.set_status(status_);
          co_return response.SerializeAsString();
        }));
    EXPECT_TRUE(server_.listen(address_));
    EXPECT_TRUE(server_.start());
  }

  const ttrpc::Address& address() const { return address_; }
  int calls() const { return calls_.load(); }

 private:
  grpc::HealthCheckResponse::ServingStatus status_;
  int withheld_;
  std::atomic<int> calls_{0};
  TempDir dir_ = std::move(TempDir::create("agent-client").value());
  ttrpc::Address address_;
  ttrpc::Server server_{ttrpc::ServerOptions{.threads = 2}};
};

TEST(AgentClientConfirm, ServingAgentIsConfirmedWithOneCheck) {
  HealthServer agent(grpc::HealthCheckResponse::SERVING, 0);
  auto client = AgentClient::open(agent.address());
  ASSERT_TRUE(client) << client.error().toString();
  ASSERT_TRUE((*client)->confirmAnswering());
  EXPECT_EQ(agent.calls(), 1);
}

TEST(AgentClientConfirm, LostAnswerIsAskedForAgainOnTheSameConnection) {
  HealthServer agent(grpc::HealthCheckResponse::SERVING, 1);
  auto client = AgentClient::open(agent.address());
  ASSERT_TRUE(client) << client.error().toString();
  const Status confirmed = (*client)->confirmAnswering();
  ASSERT_TRUE(confirmed) << confirmed.error().toString();
  EXPECT_EQ(agent.calls(), 2);
}

TEST(AgentClientConfirm, AgentNotServingIsUnavailable) {
  HealthServer agent(grpc::HealthCheckResponse::NOT_SERVING, 0);
  auto client = AgentClient::open(agent.address());
  ASSERT_TRUE(client) << client.error().toString();
  expectError((*client)->confirmAnswering(), Code::kUnavailable,
              "grpc.Health/Check: status NOT_SERVING (expected SERVING)");
}

TEST(AgentClientConfirm, PeerWithoutTheHealthServiceFailsAtOnce) {
  auto dir = TempDir::create("agent-client");
  ASSERT_TRUE(dir) << dir.error().toString();
  const ttrpc::Address address{ttrpc::Address::Kind::kUnix, (dir->path() / "s.sock").string()};
  ttrpc::Server server;
  ASSERT_TRUE(server.listen(address));
  ASSERT_TRUE(server.start());
  auto client = AgentClient::open(address);
  ASSERT_TRUE(client) << client.error().toString();
  const Status confirmed = (*client)->confirmAnswering();
  ASSERT_FALSE(confirmed);
  EXPECT_EQ(confirmed.error().code, Code::kUnimplemented) << confirmed.error().toString();
}

}  // namespace
}  // namespace cocoon::runtime
