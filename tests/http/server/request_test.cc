// SPDX-License-Identifier: Apache-2.0
#include "http/server/request.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::http::server {
namespace {

using cocoon::test::expectError;
using Segments = std::vector<std::string>;

TEST(SplitPath, DecodesSegments) {
  cocoon::test::expectValue(splitPath("/kbs/v0/resource/my%2Drepo/key/tag%20A"),
                            Segments{"kbs", "v0", "resource", "my-repo", "key", "tag A"});
  cocoon::test::expectValue(splitPath("/"), Segments{});
  cocoon::test::expectValue(splitPath("/a"), Segments{"a"});
}

TEST(SplitPath, RejectsPathsThatCouldEscapeOrAlias) {
  expectError(splitPath(""), Code::kInvalidArgument, "must start with '/' (offset 0)");
  expectError(splitPath("a/b"), Code::kInvalidArgument, "must start with '/'");
  expectError(splitPath("/a//b"), Code::kInvalidArgument, "empty path segment at offset 3");
  expectError(splitPath("/a/"), Code::kInvalidArgument, "empty path segment at offset 3");
  expectError(splitPath("/a/../b"), Code::kInvalidArgument, "dot segment '..' at offset 3");
  expectError(splitPath("/./b"), Code::kInvalidArgument, "dot segment '.' at offset 1");
  expectError(splitPath("/a/%2e%2E/b"), Code::kInvalidArgument, "encoded dot segment at offset 3");
  expectError(splitPath("/a%2Fb"), Code::kInvalidArgument,
              "forbidden byte 0x2f in path segment at offset 2");
  expectError(splitPath("/a%5cb"), Code::kInvalidArgument, "forbidden byte 0x5c");
  expectError(splitPath("/a%00"), Code::kInvalidArgument, "forbidden byte 0x00");
  expectError(splitPath("/a%0A"), Code::kInvalidArgument, "forbidden byte 0x0a");
  expectError(splitPath("/a%4"), Code::kInvalidArgument, "malformed percent escape at offset 2");
  expectError(splitPath("/a%zz"), Code::kInvalidArgument, "malformed percent escape at offset 2");
  expectError(splitPath("/%"), Code::kInvalidArgument, "malformed percent escape at offset 1");
}

TEST(Headers, LookupIgnoresCaseAndSetReplacesAll) {
  Headers h;
  h.add("Content-Type", "a");
  h.add("content-type", "b");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "a");
  EXPECT_EQ(h.count("Content-type"), 2u);
  h.set("CONTENT-TYPE", "c");
  EXPECT_EQ(h.count("content-type"), 1u);
  EXPECT_EQ(h.get("Content-Type"), "c");
  h.remove("content-TYPE");
  EXPECT_EQ(h.get("Content-Type"), std::nullopt);
}

TEST(Response, HelpersSetContentType) {
  const auto j = Response::json(201, "{}");
  EXPECT_EQ(j.status, 201u);
  EXPECT_EQ(j.headers.get("content-type"), "application/json");
  EXPECT_EQ(Response::text(200, "x").headers.get("Content-Type"), "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace cocoon::http::server
