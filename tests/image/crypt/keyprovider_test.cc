// SPDX-License-Identifier: Apache-2.0
// The attestation-agent keyprovider packet: wrap/unwrap with a KEK, strict parsing, URIs.
#include "image/crypt/keyprovider.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/random.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image::crypt {
namespace {

using test::expectError;

TEST(ProviderPacket, WrapsAndUnwrapsWithTheKek) {
  Bytes kek = crypto::randomBytes(32);
  auto packet_json = wrapProviderPacket(asBytes("{\"symkey\":1}"), "kbs:///default/key/1", kek);
  ASSERT_TRUE(packet_json) << packet_json.error().toString();
  auto doc = json::parseJson(toString(*packet_json));
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["wrap_type"], "A256GCM");
  EXPECT_EQ((*doc)["kid"], "kbs:///default/key/1");
  auto packet = parseProviderPacket(*packet_json);
  ASSERT_TRUE(packet) << packet.error().toString();
  EXPECT_EQ(packet->iv.size(), 12u);
  auto opened = unwrapProviderPacket(*packet, kek);
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_EQ(toString(opened->span()), "{\"symkey\":1}");
}

TEST(ProviderPacket, WrongKekOrAlteredPacketIsPermissionDenied) {
  Bytes kek = crypto::randomBytes(32);
  auto packet = parseProviderPacket(*wrapProviderPacket(asBytes("x"), "kbs:///a/b/c", kek));
  ASSERT_TRUE(packet);
  expectError(unwrapProviderPacket(*packet, crypto::randomBytes(32)), Code::kPermissionDenied,
              "the KEK of kbs:///a/b/c does not open");
  packet->wrapped_data[0] ^= 1;
  expectError(unwrapProviderPacket(*packet, kek), Code::kPermissionDenied, "does not open");
  expectError(unwrapProviderPacket(*packet, Bytes(16)), Code::kInvalidArgument,
              "is 16 bytes, expected 32");
}

TEST(ProviderPacket, RejectsMalformedPackets) {
  const std::string iv = base64Encode(Bytes(12));
  const std::string data = base64Encode(Bytes(20));
  auto parse = [](const std::string& s) { return parseProviderPacket(asBytes(s)); };
  auto packet = [&](std::string kid, std::string i, std::string d, std::string type,
                    std::string extra = "") {
    return R"({"kid":")" + kid + R"(","iv":")" + i + R"(","wrapped_data":")" + d +
           R"(","wrap_type":")" + type + "\"" + extra + "}";
  };
  EXPECT_TRUE(parse(packet("kbs:///a/b/c", iv, data, "A256GCM")));
  EXPECT_TRUE(parse(packet("kbs:///a/b/c", iv, data, "A256GCM",
                           R"(,"version":"0.1.0","provider":"kbs","provider_settings":{})")));
  expectError(parse(packet("kbs:///a/b/c", iv, data, "A128GCM")), Code::kInvalidArgument,
              "wrap_type \"A128GCM\" is not supported");
  expectError(parse(packet("kbs:///a/b/c", base64Encode(Bytes(16)), data, "A256GCM")),
              Code::kInvalidArgument, "\"iv\" is 16 bytes, expected 12");
  expectError(parse(packet("kbs:///a/b/c", iv, base64Encode(Bytes(15)), "A256GCM")),
              Code::kInvalidArgument, "shorter than the tag");
  expectError(parse(packet("https://x/a/b/c", iv, data, "A256GCM")), Code::kInvalidArgument,
              "does not start with kbs://");
  expectError(parse(packet("kbs:///a/b/c", iv, data, "A256GCM", R"(,"provider":"vault")")),
              Code::kInvalidArgument, "unexpected member \"provider\"");
  expectError(parse("[]"), Code::kInvalidArgument, "expected a JSON object");
}

TEST(ProviderPacket, RejectsTruncationMissingMembersAndOversize) {
  const std::string full =
      toString(*wrapProviderPacket(asBytes("x"), "kbs:///a/b/c", crypto::randomBytes(32)));
  auto parse = [](std::string_view s) { return parseProviderPacket(asBytes(s)); };
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, full.size() / 2, full.size() - 1}) {
    expectError(parse(full.substr(0, n)), Code::kInvalidArgument, "json:");
  }
  auto without = [&](const std::string& member) {
    auto doc = json::parseJson(full);
    EXPECT_TRUE(doc);
    doc->erase(member);
    return doc->dump();
  };
  for (const char* member : {"kid", "iv", "wrapped_data", "wrap_type"}) {
    SCOPED_TRACE(member);
    expectError(parse(without(member)), Code::kInvalidArgument,
                fmt::format("missing field \"{}\"", member));
  }
  auto doc = *json::parseJson(full);
  doc["iv"] = "not base64!";
  expectError(parse(doc.dump()), Code::kInvalidArgument, "\"iv\": ");
  doc = *json::parseJson(full);
  doc["kid"] = 7;
  expectError(parse(doc.dump()), Code::kInvalidArgument, "kid");
  doc = *json::parseJson(full);
  doc["version"] = "0.2.0";
  expectError(parse(doc.dump()), Code::kInvalidArgument, "unexpected member \"version\"");
  doc["version"] = "0.1.0";
  doc["provider_settings"] = "kbs";
  expectError(parse(doc.dump()), Code::kInvalidArgument, "unexpected member \"provider_settings\"");
  expectError(parse(std::string(64 * 1024 + 1, ' ')), Code::kInvalidArgument,
              "65537 bytes exceed the limit of 65536");
}

TEST(KbsResourceUri, TakesThreeSafeSegments) {
  EXPECT_EQ(*parseKbsResourceUri("kbs:///default/key/1"), "default/key/1");
  EXPECT_EQ(*parseKbsResourceUri("kbs://kbs.example:8080/repo/type/tag"), "repo/type/tag");
  expectError(parseKbsResourceUri("kbs:///a/b"), Code::kInvalidArgument, "found 2 path segments");
  expectError(parseKbsResourceUri("kbs:///a/../c"), Code::kInvalidArgument, "segment 2");
  expectError(parseKbsResourceUri("kbs:///a//c"), Code::kInvalidArgument, "segment 2");
  expectError(parseKbsResourceUri("kbs:///a/b/c?x"), Code::kInvalidArgument, "segment 3");
  expectError(parseKbsResourceUri("kbs://"), Code::kInvalidArgument, "has no path");
}

}  // namespace
}  // namespace cocoon::image::crypt
