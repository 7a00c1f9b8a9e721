// SPDX-License-Identifier: Apache-2.0
// Address parsing: the three schemes and their errors.
#include "ttrpc/address.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::ttrpc {
namespace {

using cocoon::test::expectError;

TEST(TtrpcAddress, ParsesEachScheme) {
  auto unix_addr = parseAddress("unix:/run/agent.sock");
  ASSERT_TRUE(unix_addr);
  EXPECT_EQ(unix_addr->kind, Address::Kind::kUnix);
  EXPECT_EQ(unix_addr->path, "/run/agent.sock");
  auto vsock = parseAddress("vsock:3:1024");
  ASSERT_TRUE(vsock);
  EXPECT_EQ(vsock->kind, Address::Kind::kVsock);
  EXPECT_EQ(vsock->cid, 3u);
  EXPECT_EQ(vsock->port, 1024u);
  EXPECT_EQ(vsock->toString(), "vsock:3:1024");
  auto serial = parseAddress("serial:/dev/vport0p1");
  ASSERT_TRUE(serial);
  EXPECT_EQ(serial->kind, Address::Kind::kSerial);
  EXPECT_EQ(serial->toString(), "serial:/dev/vport0p1");
}

TEST(TtrpcAddress, RejectsMalformedAddresses) {
  expectError(parseAddress("/run/agent.sock"), Code::kInvalidArgument, "has no scheme");
  expectError(parseAddress("tcp:1.2.3.4:5"), Code::kInvalidArgument, "unknown scheme 'tcp'");
  expectError(parseAddress("unix:"), Code::kInvalidArgument, "empty path");
  expectError(parseAddress("vsock:3"), Code::kInvalidArgument, "lacks :PORT");
  expectError(parseAddress("vsock:x:1"), Code::kInvalidArgument, "cid 'x'");
  expectError(parseAddress("vsock:3:4294967296"), Code::kInvalidArgument, "port '4294967296'");
  expectError(parseAddress("unix:" + std::string(108, 'a')), Code::kInvalidArgument,
              "108 bytes exceeds 107");
}

}  // namespace
}  // namespace cocoon::ttrpc
