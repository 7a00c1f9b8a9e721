// SPDX-License-Identifier: Apache-2.0
// Interop with containerd's Go ttrpc (Debian golang-github-containerd-ttrpc-dev 1.1.1)
// through tests/ttrpc/peer: our client against the Go server, the Go client against our
// server, and frames compared byte for byte with the ones Go writes.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "common/encoding.h"
#include "http/peer_process.h"
#include "support/expect.h"
#include "ttrpc/client.h"
#include "ttrpc/message.h"
#include "ttrpc/server.h"
#include "ttrpc/test_service.h"

namespace cocoon::ttrpc::test {
namespace {

namespace asio = boost::asio;
using cocoon::test::expectError;
using cocoon::test::PeerProcess;

constexpr const char* kGoPeer = TTRPC_GO_PEER;

#define SKIP_WITHOUT_GO_PEER()                                                   \
  if (std::string(kGoPeer).empty()) {                                            \
    GTEST_SKIP() << "Go ttrpc peer not built (needs golang-go and "              \
                    "golang-github-containerd-ttrpc-dev, see scripts/deps.txt)"; \
  }

// "name: rest" lines of the peer's output, keyed by name.
std::map<std::string, std::string> parseLines(const std::string& output) {
  std::map<std::string, std::string> lines;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) {
      lines[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return lines;
}

class TtrpcGoServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_GO_PEER();
    const std::string path = (dir_.path() / "go.sock").string();
    auto peer = PeerProcess::start({kGoPeer, "serve", path});
    ASSERT_TRUE(peer) << peer.error().toString();
    peer_ = std::move(*peer);
    ASSERT_TRUE(peer_->waitForLine("^listening ", std::chrono::seconds(20)));
    auto client = Client::connect(io_.io().get_executor(), {Address::Kind::kUnix, path});
    ASSERT_TRUE(client) << client.error().toString();
    client_ = std::move(*client);
  }

  std::future<Result<EchoResponse>> start(const EchoRequest& r, CallOptions options = {}) {
    return asio::co_spawn(
        io_.io(), client_->callTyped<EchoResponse>(kEchoService, "Echo", r, std::move(options)),
        asio::use_future);
  }
  Result<EchoResponse> echo(const EchoRequest& r, CallOptions options = {}) {
    return start(r, std::move(options)).get();
  }

  TempDir dir_;
  std::unique_ptr<PeerProcess> peer_;
  IoThread io_;
  std::unique_ptr<Client> client_;
};

TEST_F(TtrpcGoServerTest, EchoesWithMetadataAndTimeout) {
  EchoRequest r;
  r.set_text("hello go");
  CallOptions options{.timeout = std::chrono::seconds(10), .metadata = {{"k", "v1"}, {"k", "v2"}}};
  auto resp = echo(r, options);
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->text(), "hello go");
  ASSERT_EQ(resp->metadata_size(), 2);
  EXPECT_EQ(resp->metadata(0), "k=v1");
  EXPECT_EQ(resp->metadata(1), "k=v2");
  EXPECT_GT(resp->timeout_nano(), 0);
  EXPECT_LE(resp->timeout_nano(), 10'000'000'000);
}

TEST_F(TtrpcGoServerTest, GetsGoStatusCodesAndMessages) {
  EchoRequest r;
  r.set_text("x");
  r.set_fail_code(static_cast<int>(Code::kFailedPrecondition));
  auto failed = echo(r);
  expectError(failed, Code::kFailedPrecondition);
  EXPECT_EQ(failed.error().message, "failing as asked: x");
  auto no_service = client_->callBlocking("no.Such", "Echo", "");
  expectError(no_service, Code::kUnimplemented);
  EXPECT_EQ(no_service.error().message, "service no.Such");
  auto no_method = client_->callBlocking(kEchoService, "Missing", "");
  expectError(no_method, Code::kUnimplemented);
  EXPECT_EQ(no_method.error().message, "method Missing");
}

TEST_F(TtrpcGoServerTest, HonoursDeadline) {
  EchoRequest r;
  r.set_sleep_ms(10'000);
  // Whether the Go server's DEADLINE_EXCEEDED or our own timer comes first, the code is
  // the same.
  expectError(echo(r, {.timeout = std::chrono::milliseconds(100)}), Code::kDeadlineExceeded);
}

TEST_F(TtrpcGoServerTest, RunsHundredConcurrentCalls) {
  expectHundredConcurrentEchoes(io_.io(), *client_);
}

// Go's server sends a 5 MiB response as is; we skip it, fail that call, and go on.
TEST_F(TtrpcGoServerTest, RejectsOversizedResponseAndKeepsConnection) {
  EchoRequest big;
  big.set_reply_bytes(5 << 20);
  expectError(echo(big), Code::kResourceExhausted,
              "response length 5242890 exceeds maximum message size of 4194304");
  EchoRequest small;
  small.set_text("after");
  auto resp = echo(small);
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->text(), "after");
}

TEST_F(TtrpcGoServerTest, FailsPendingCallWhenPeerDies) {
  EchoRequest r;
  r.set_sleep_ms(30'000);
  auto pending = start(r);
  // Round-trip another call so the pending one has surely been sent.
  ASSERT_TRUE(echo(EchoRequest()));
  peer_.reset();  // kills the Go server
  expectError(pending.get(), Code::kUnavailable, "ttrpc connection closed");
}

TEST(TtrpcGoClient, CallsOurServer) {
  SKIP_WITHOUT_GO_PEER();
  TempDir dir;
  const std::string path = (dir.path() / "ours.sock").string();
  Server server(ServerOptions{.threads = 2});
  ASSERT_TRUE(registerEcho(server));
  ASSERT_TRUE(server.listen({Address::Kind::kUnix, path}));
  ASSERT_TRUE(server.start());
  auto output = cocoon::test::runTool({kGoPeer, "call", path});
  ASSERT_TRUE(output) << output.error().toString();
  auto lines = parseLines(*output);
  // Go's MD.Set lower-cases keys.
  EXPECT_EQ(lines["echo"], "ok hello md=[client-key=v1,client-key=v2] timeout=false blob=0");
  EXPECT_EQ(lines["fail"], "err 5 failing as asked: nope");
  EXPECT_EQ(lines["method"], "err 12 method Missing");
  EXPECT_EQ(lines["service"], "err 12 service no.Such");
  EXPECT_EQ(lines["timeout"], "ok t md=[] timeout=true blob=0");
  // The Go client gives up at its deadline too (code 2, "context deadline exceeded") and
  // may beat our DEADLINE_EXCEEDED (4) by microseconds.
  EXPECT_TRUE(lines["deadline"] == "err 4 deadline exceeded" ||
              lines["deadline"] == "err 2 context deadline exceeded")
      << lines["deadline"];
  EXPECT_EQ(lines["big"], "err 8 message length 5242914 exceeds maximum message size of 4194304");
  EXPECT_EQ(lines["after-big"], "ok still md=[] timeout=false blob=0");
  EXPECT_EQ(lines["bigreply"],
            "err 8 response of 5242890 bytes exceeds maximum message size of 4194304");
  EXPECT_EQ(lines["concurrent"], "bad=0 fast=true");
}

TEST(TtrpcGoGolden, FramesMatchGoByteForByte) {
  SKIP_WITHOUT_GO_PEER();
  TempDir dir;
  auto output = cocoon::test::runTool({kGoPeer, "golden", dir.path().string()});
  ASSERT_TRUE(output) << output.error().toString();
  auto lines = parseLines(*output);

  EchoRequest hi;
  hi.set_text("hi");
  Request request;
  request.service = kEchoService;
  request.method = "Echo";
  request.payload = hi.SerializeAsString();
  request.metadata = {{"k", "v"}};
  Bytes frame;
  appendFrame(frame, 1, MessageType::kRequest, 0, asBytes(encodeRequest(request)));
  EXPECT_EQ(hexEncode(frame), lines["request"]);

  EchoResponse hi_back;
  hi_back.set_text("hi");
  frame.clear();
  appendFrame(frame, 1, MessageType::kResponse, 0,
              asBytes(encodeResponse(hi_back.SerializeAsString())));
  EXPECT_EQ(hexEncode(frame), lines["response1"]);

  frame.clear();
  appendFrame(frame, 3, MessageType::kResponse, 0,
              asBytes(encodeResponse(fail(Code::kNotFound, "failing as asked: x"))));
  EXPECT_EQ(hexEncode(frame), lines["response2"]);
}

}  // namespace
}  // namespace cocoon::ttrpc::test
