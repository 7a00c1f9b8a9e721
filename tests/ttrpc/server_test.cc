// SPDX-License-Identifier: Apache-2.0
// Our client against our server over a unix socket: calls, errors, metadata, deadlines,
// concurrency, size limits, connection loss and graceful stop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "support/expect.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"
#include "ttrpc/test_service.h"

namespace cocoon::ttrpc::test {
namespace {

namespace asio = boost::asio;
using cocoon::test::expectError;
using std::chrono::milliseconds;

class TtrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = {Address::Kind::kUnix, (dir_.path() / "ttrpc.sock").string()};
    ASSERT_TRUE(registerEcho(server_));
    ASSERT_TRUE(server_.registerMethod("cocoon.test.Raw", "Throw",
                                       [](const Request&) -> asio::awaitable<Result<std::string>> {
                                         throw std::runtime_error("boom");
                                         co_return std::string();
                                       }));
    ASSERT_TRUE(server_.listen(address_));
    ASSERT_TRUE(server_.start());
    auto client = Client::connect(io_.io().get_executor(), address_);
    ASSERT_TRUE(client) << client.error().toString();
    client_ = std::move(*client);
  }

  Result<EchoResponse> echo(const EchoRequest& request, CallOptions options = {}) {
    return asio::co_spawn(
               io_.io(),
               client_->callTyped<EchoResponse>(kEchoService, "Echo", request, std::move(options)),
               asio::use_future)
        .get();
  }

  TempDir dir_;
  Address address_;
  Server server_{ServerOptions{.threads = 2}};
  IoThread io_;
  std::unique_ptr<Client> client_;
};

EchoRequest text(const std::string& t) {
  EchoRequest r;
  r.set_text(t);
  return r;
}

TEST_F(TtrpcServerTest, EchoesWithMetadata) {
  CallOptions options;
  options.metadata = {{"b", "2"}, {"a", "1"}};
  auto resp = echo(text("hello"), options);
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->text(), "hello");
  ASSERT_EQ(resp->metadata_size(), 2);
  EXPECT_EQ(resp->metadata(0), "a=1");
  EXPECT_EQ(resp->metadata(1), "b=2");
  EXPECT_EQ(resp->timeout_nano(), 0);
}

TEST_F(TtrpcServerTest, SendsTheTimeoutToTheServer) {
  auto resp = echo(text("t"), {.timeout = std::chrono::seconds(10)});
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_GT(resp->timeout_nano(), 0);
  EXPECT_LE(resp->timeout_nano(), 10'000'000'000);
}

TEST_F(TtrpcServerTest, PassesHandlerErrorCodeAndMessage) {
  EchoRequest r = text("nope");
  r.set_fail_code(static_cast<int>(Code::kPermissionDenied));
  auto resp = echo(r);
  expectError(resp, Code::kPermissionDenied);
  EXPECT_EQ(resp.error().message, "failing as asked: nope");
}

TEST_F(TtrpcServerTest, AnswersUnknownServiceAndMethodUnimplemented) {
  auto unknown_service = client_->callBlocking("no.Such", "Echo", "");
  expectError(unknown_service, Code::kUnimplemented);
  EXPECT_EQ(unknown_service.error().message, "service no.Such");
  auto unknown_method = client_->callBlocking(kEchoService, "Missing", "");
  expectError(unknown_method, Code::kUnimplemented);
  EXPECT_EQ(unknown_method.error().message, "method Missing");
}

TEST_F(TtrpcServerTest, AnswersUndecodablePayloadInvalidArgument) {
  expectError(client_->callBlocking(kEchoService, "Echo", "\x0a\x64x"), Code::kInvalidArgument,
              "undecodable cocoon.ttrpc.test.EchoRequest payload (3 bytes)");
}

TEST_F(TtrpcServerTest, AnswersThrowingHandlerInternal) {
  expectError(client_->callBlocking("cocoon.test.Raw", "Throw", ""), Code::kInternal,
              "handler cocoon.test.Raw/Throw failed");
}

TEST_F(TtrpcServerTest, FailsCallPastItsDeadline) {
  EchoRequest r = text("slow");
  r.set_sleep_ms(5000);
  const auto start = std::chrono::steady_clock::now();
  expectError(echo(r, {.timeout = milliseconds(100)}), Code::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // The connection is still usable.
  EXPECT_TRUE(echo(text("after")));
}

TEST_F(TtrpcServerTest, RunsHundredCallsConcurrentlyOnOneConnection) {
  expectHundredConcurrentEchoes(io_.io(), *client_);
}

TEST_F(TtrpcServerTest, AnswersInCompletionOrderNotRequestOrder) {
  EchoRequest slow = text("slow");
  slow.set_sleep_ms(1000);
  auto slow_call = asio::co_spawn(
      io_.io(), client_->callTyped<EchoResponse>(kEchoService, "Echo", slow), asio::use_future);
  auto fast = echo(text("fast"));
  ASSERT_TRUE(fast);
  EXPECT_EQ(slow_call.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the fast call waited for the slow one";
  EXPECT_TRUE(slow_call.get());
}

TEST_F(TtrpcServerTest, RefusesToSendOversizedRequest) {
  expectError(echo(text(std::string(kMaxMessageSize, 'y'))), Code::kResourceExhausted,
              "exceeds maximum message size of 4194304");
  EXPECT_TRUE(echo(text("still connected")));
}

TEST_F(TtrpcServerTest, ReplacesOversizedResponseWithResourceExhausted) {
  EchoRequest r;
  r.set_reply_bytes(kMaxMessageSize + 1);
  expectError(echo(r), Code::kResourceExhausted, "exceeds maximum message size of 4194304");
  EXPECT_TRUE(echo(text("still connected")));
}

TEST_F(TtrpcServerTest, FailsPendingAndLaterCallsWhenConnectionIsLost) {
  EchoRequest r = text("pending");
  r.set_sleep_ms(10'000);
  auto pending = asio::co_spawn(io_.io(), client_->callTyped<EchoResponse>(kEchoService, "Echo", r),
                                asio::use_future);
  // Round-trip another call so the server surely has the pending one.
  ASSERT_TRUE(echo(text("sync")));
  // The stop deadline passes with the call still running: the connection is closed.
  server_.stop(milliseconds(100));
  expectError(pending.get(), Code::kUnavailable, "ttrpc connection closed");
  expectError(echo(text("later")), Code::kUnavailable, "ttrpc connection closed");
}

TEST_F(TtrpcServerTest, StopClosesEveryConnectionEvenOneNotYetServed) {
  // The fixture's connection may still sit in the listen backlog: stop() must close it
  // rather than leave it open with nobody serving it (the call would then time out).
  server_.stop(milliseconds(0));
  expectError(echo(text("x"), {.timeout = std::chrono::seconds(20)}), Code::kUnavailable);
}

TEST_F(TtrpcServerTest, StopLetsCallsInFlightFinish) {
  EchoRequest r = text("in flight");
  r.set_sleep_ms(300);
  auto call = asio::co_spawn(io_.io(), client_->callTyped<EchoResponse>(kEchoService, "Echo", r),
                             asio::use_future);
  // Wait until the server has the call (a second call round-trips after it was sent).
  ASSERT_TRUE(echo(text("sync")));
  server_.stop(std::chrono::seconds(10));
  auto resp = call.get();
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->text(), "in flight");
  EXPECT_EQ(server_.connectionCount(), 0u);
  expectError(Client::connect(io_.io().get_executor(), address_), Code::kUnavailable);
}

TEST(TtrpcServer, RejectsDuplicateAndLateRegistration) {
  Server server;
  ASSERT_TRUE(registerEcho(server));
  expectError(registerEcho(server), Code::kAlreadyExists,
              "cocoon.test.Echo/Echo is already registered");
  expectError(server.registerMethod("", "x", nullptr), Code::kInvalidArgument);
  ASSERT_TRUE(server.start());
  expectError(server.registerMethod("a", "b",
                                    [](const Request&) -> asio::awaitable<Result<std::string>> {
                                      co_return std::string();
                                    }),
              Code::kFailedPrecondition);
}

TEST(TtrpcServer, ReportsUnbindableAddress) {
  Server server;
  expectError(server.listen({Address::Kind::kUnix, "/nonexistent-dir/x.sock"}), Code::kUnavailable,
              "cannot listen on unix:/nonexistent-dir/x.sock");
}

TEST(TtrpcClient, ReportsUnreachableAddress) {
  IoThread io;
  expectError(Client::connect(io.io().get_executor(), {Address::Kind::kUnix, "/nonexistent.sock"}),
              Code::kUnavailable, "cannot connect to unix:/nonexistent.sock");
}

}  // namespace
}  // namespace cocoon::ttrpc::test
