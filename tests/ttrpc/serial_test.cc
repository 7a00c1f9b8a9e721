// SPDX-License-Identifier: Apache-2.0
// Transports other than unix sockets: a character device (a pty standing in for the
// guest's virtio-serial port) on both sides, and AF_VSOCK where the kernel can loop back.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "support/expect.h"
#include "ttrpc/client.h"
#include "ttrpc/message.h"
#include "ttrpc/server.h"
#include "ttrpc/test_service.h"

namespace cocoon::ttrpc::test {
namespace {

namespace asio = boost::asio;

// A pseudo-terminal: the master stays with the test, the slave path is the "device".
struct Pty {
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master >= 0 && ::grantpt(master) == 0 && ::unlockpt(master) == 0) {
      const char* name = ::ptsname(master);
      slave_path = name != nullptr ? name : "";
    }
  }
  int master = -1;
  std::string slave_path;
};

TEST(TtrpcSerial, ServerAnswersOverCharacterDevice) {
  Pty pty;
  ASSERT_FALSE(pty.slave_path.empty()) << "no pty available";
  Server server;
  ASSERT_TRUE(registerEcho(server));
  ASSERT_TRUE(server.listen({Address::Kind::kSerial, pty.slave_path}));
  ASSERT_TRUE(server.start());
  RawConnection conn(pty.master);
  EchoRequest r;
  // Bytes a tty in cooked mode would eat or rewrite: the device must be raw.
  r.set_text(std::string("\x03\x04\n\r\x11\x13\x7f\x00", 8));
  ASSERT_TRUE(conn.write(echoRequestFrame(1, r)));
  auto frame = conn.readFrame();
  ASSERT_TRUE(frame) << frame.error().toString();
  EXPECT_EQ(frame->first.stream_id, 1u);
  auto payload = decodeResponse(frame->second);
  ASSERT_TRUE(payload) << payload.error().toString();
  EchoResponse resp;
  ASSERT_TRUE(resp.ParseFromString(*payload));
  EXPECT_EQ(resp.text(), r.text());
  server.stop();
}

TEST(TtrpcSerial, ClientCallsOverCharacterDevice) {
  Pty pty;
  ASSERT_FALSE(pty.slave_path.empty()) << "no pty available";
  IoThread io;
  auto client = Client::connect(io.io().get_executor(), {Address::Kind::kSerial, pty.slave_path});
  ASSERT_TRUE(client) << client.error().toString();
  auto call =
      asio::co_spawn(io.io(), (*client)->call(kEchoService, "Echo", "\r\n\x04"), asio::use_future);
  // Play the server by hand on the master side.
  RawConnection conn(pty.master);
  auto frame = conn.readFrame();
  ASSERT_TRUE(frame) << frame.error().toString();
  EXPECT_EQ(frame->first.stream_id, 1u);
  EXPECT_EQ(frame->first.type, MessageType::kRequest);
  auto request = decodeRequest(frame->second);
  ASSERT_TRUE(request) << request.error().toString();
  EXPECT_EQ(request->payload, "\r\n\x04");
  Bytes reply;
  appendFrame(reply, 1, MessageType::kResponse, 0, asBytes(encodeResponse(std::string("ok\n"))));
  ASSERT_TRUE(conn.write(reply));
  cocoon::test::expectValue(call.get(), std::string("ok\n"));
}

TEST(TtrpcVsock, EchoesOverLoopback) {
  const Address address{Address::Kind::kVsock, "", 1 /* VMADDR_CID_LOCAL */,
                        static_cast<std::uint32_t>(20000 + ::getpid() % 20000)};
  Server server;
  ASSERT_TRUE(registerEcho(server));
  auto listening = server.listen(address);
  if (!listening) {
    GTEST_SKIP() << "no vsock loopback on this kernel (modprobe vsock_loopback): "
                 << listening.error().toString();
  }
  ASSERT_TRUE(server.start());
  IoThread io;
  auto client = Client::connect(io.io().get_executor(), address);
  if (!client) {
    GTEST_SKIP() << "vsock loopback refuses connections: " << client.error().toString();
  }
  EchoRequest r;
  r.set_text("over vsock");
  auto resp = asio::co_spawn(io.io(), (*client)->callTyped<EchoResponse>(kEchoService, "Echo", r),
                             asio::use_future)
                  .get();
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->text(), "over vsock");
}

}  // namespace
}  // namespace cocoon::ttrpc::test
