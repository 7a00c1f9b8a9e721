// SPDX-License-Identifier: Apache-2.0
#include "kbs_protocol/resource_uri.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::kbs_protocol {
namespace {

using test::expectError;
using Segments = std::vector<std::string>;

TEST(ResourceUri, ParsesTheGuestForm) {
  auto uri = parseResourceUri("kbs:///default/key/1");
  ASSERT_TRUE(uri) << uri.error().toString();
  EXPECT_EQ(uri->plugin, "resource");
  EXPECT_EQ(uri->authority, "");
  EXPECT_EQ(uri->segments, (Segments{"default", "key", "1"}));
  EXPECT_EQ(resourcePath(*uri), "/kbs/v0/resource/default/key/1");
  EXPECT_EQ(formatResourceUri(*uri), "kbs:///default/key/1");
}

TEST(ResourceUri, ParsesPluginsAndAuthorities) {
  auto uri = parseResourceUri("kbs+nebula-ca://kbs.example:8080/credential/node_1");
  ASSERT_TRUE(uri) << uri.error().toString();
  EXPECT_EQ(uri->plugin, "nebula-ca");
  EXPECT_EQ(uri->authority, "kbs.example:8080");
  EXPECT_EQ(resourcePath(*uri), "/kbs/v0/nebula-ca/credential/node_1");
  EXPECT_EQ(formatResourceUri(*uri), "kbs+nebula-ca://kbs.example:8080/credential/node_1");

  uri = parseResourceUri("kbs://[fd00::1]:443/a/b.c/d~e");
  ASSERT_TRUE(uri) << uri.error().toString();
  EXPECT_EQ(uri->authority, "[fd00::1]:443");
  EXPECT_EQ(uri->segments, (Segments{"a", "b.c", "d~e"}));

  uri = parseResourceUri("kbs+resource://10.0.0.1/x");
  ASSERT_TRUE(uri) << uri.error().toString();
  EXPECT_EQ(formatResourceUri(*uri), "kbs://10.0.0.1/x");
}

// Malformed URIs and a part of the message that names what is wrong.
struct Bad {
  const char* uri;
  const char* message;
};

TEST(ResourceUri, RefusesMalformedUris) {
  const Bad cases[] = {
      {"https:///default/key/1", "scheme"},
      {"KBS:///default/key/1", "scheme"},
      {"kbs:/default/key/1", "://"},
      {"kbs+:///a", "plugin"},
      {"kbs+Res://x/a", "plugin"},
      {"kbs+a/b:///c", "plugin"},
      {"kbs://user@host/a", "host"},
      {"kbs://host:0/a", "port"},
      {"kbs://host:65536/a", "port"},
      {"kbs://host:/a", "port"},
      {"kbs://host:8x/a", "port"},
      {"kbs://:80/a", "host"},
      {"kbs://[fd00::1/a", "IPv6"},
      {"kbs://[]/a", "IPv6"},
      {"kbs://[::1]x/a", "authority"},
      {"kbs://host", "no path"},
      {"kbs:///", "segment 0 is empty"},
      {"kbs:///a//b", "segment 1 is empty"},
      {"kbs:///a/b/", "segment 2 is empty"},
      {"kbs:///a/../b", "\"..\""},
      {"kbs:///./a", "\".\""},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.uri);
    expectError(parseResourceUri(bad.uri), Code::kInvalidArgument, bad.message);
  }
}

TEST(ResourceUri, RefusesEncodingTricksQueriesAndOddCharacters) {
  for (const char* uri :
       {"kbs:///a/%2e%2e/b", "kbs:///a%2Fb/c", "kbs:///a/b?x=1", "kbs:///a/b#frag", "kbs:///a\\b",
        "kbs:///a b", "kbs:///a/\xc3\xa9", "kbs:///a/b\n"}) {
    expectError(parseResourceUri(uri), Code::kInvalidArgument, "characters outside");
  }
  expectError(parseResourceUri(std::string_view("kbs:///a\0b", 10)), Code::kInvalidArgument,
              "characters outside");
}

TEST(ResourceUri, RefusesOversizeUris) {
  std::string many = "kbs://";
  for (std::size_t i = 0; i <= kMaxResourceSegments; ++i) {
    many += "/s";
  }
  expectError(parseResourceUri(many), Code::kResourceExhausted, "more than 16 path segments");
  std::string exactly = "kbs://";
  for (std::size_t i = 0; i < kMaxResourceSegments; ++i) {
    exactly += "/s";
  }
  EXPECT_TRUE(parseResourceUri(exactly));
  expectError(parseResourceUri("kbs:///" + std::string(kMaxResourceUriBytes, 'a')),
              Code::kResourceExhausted, "bytes");
}

}  // namespace
}  // namespace cocoon::kbs_protocol
