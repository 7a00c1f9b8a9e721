// SPDX-License-Identifier: Apache-2.0
// Request/Response envelope codecs: round trips, hostile payloads, status mapping.
#include "ttrpc/message.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::ttrpc {
namespace {

using cocoon::test::expectError;
using cocoon::test::expectValue;
using cocoon::test::unhex;

TEST(TtrpcMessage, RequestRoundTrips) {
  Request r;
  r.service = "grpc.AgentService";
  r.method = "CreateContainer";
  r.payload = std::string("\0\1\2", 3);
  r.timeout_nano = 1'500'000'000;
  r.metadata = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  auto back = decodeRequest(asBytes(encodeRequest(r)));
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->service, r.service);
  EXPECT_EQ(back->method, r.method);
  EXPECT_EQ(back->payload, r.payload);
  EXPECT_EQ(back->timeout_nano, r.timeout_nano);
  EXPECT_EQ(back->metadata, r.metadata);
  EXPECT_EQ(metadataValue(back->metadata, "a"), "1");
  EXPECT_EQ(metadataValue(back->metadata, "c"), std::nullopt);
}

// Protobuf encoding of ttrpc's Request (types.go field numbers 1..5), written by hand.
TEST(TtrpcMessage, EncodesRequestFieldsWithProtocolNumbers) {
  Request r;
  r.service = "s";
  r.method = "m";
  r.payload = "p";
  r.timeout_nano = 5;
  r.metadata = {{"k", "v"}};
  EXPECT_EQ(asBytes(encodeRequest(r)).size(), 19u);
  const Bytes want = unhex(
      "0a0173"
      "12016d"
      "1a0170"
      "2005"
      "2a060a016b120176");
  EXPECT_EQ(toBytes(encodeRequest(r)), want);
}

TEST(TtrpcMessage, RejectsGarbageRequest) {
  // Field 1 declared 100 bytes long with 1 present.
  expectError(decodeRequest(unhex("0a6473")), Code::kInvalidArgument,
              "undecodable ttrpc Request (3 bytes)");
}

TEST(TtrpcMessage, RejectsNegativeTimeout) {
  Request r;
  r.service = "s";
  r.method = "m";
  r.timeout_nano = -1;
  expectError(decodeRequest(asBytes(encodeRequest(r))), Code::kInvalidArgument,
              "negative timeout_nano -1");
}

TEST(TtrpcMessage, RejectsRequestWithoutMethod) {
  Request r;
  r.service = "s";
  expectError(decodeRequest(asBytes(encodeRequest(r))), Code::kInvalidArgument,
              "without service or method");
}

TEST(TtrpcMessage, ResponseCarriesPayloadOrStatus) {
  expectValue(decodeResponse(asBytes(encodeResponse(std::string("data")))), std::string("data"));
  auto failed = decodeResponse(
      asBytes(encodeResponse(fail(Code::kNotFound, "container {} not found", "c1"))));
  expectError(failed, Code::kNotFound);
  EXPECT_EQ(failed.error().message, "container c1 not found");
}

// What Go's ttrpc server sends (captured from the peer's golden mode): OK responses carry
// no status field, errors carry {code, message}.
TEST(TtrpcMessage, EncodesResponsesAsGoDoes) {
  EXPECT_EQ(toBytes(encodeResponse(std::string("\x0a\x02hi", 4))), unhex("12040a026869"));
  EXPECT_EQ(toBytes(encodeResponse(fail(Code::kNotFound, "failing as asked: x"))),
            unhex("0a17080512136661696c696e672061732061736b65643a2078"));
}

TEST(TtrpcMessage, MapsUnknownStatusCodeToUnknown) {
  // status {code: 99, message: "odd"}
  expectError(decodeResponse(unhex("0a0708631203"
                                   "6f6464")),
              Code::kUnknown, "remote status code 99: odd");
}

TEST(TtrpcMessage, RejectsGarbageResponse) {
  expectError(decodeResponse(unhex("0aff")), Code::kInternal, "undecodable ttrpc Response");
}

}  // namespace
}  // namespace cocoon::ttrpc
