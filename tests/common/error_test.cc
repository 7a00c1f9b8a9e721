// SPDX-License-Identifier: Apache-2.0
#include "common/error.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace cocoon {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) {
    return fail(Code::kInvalidArgument, "value {} is not positive", v);
  }
  return v;
}

Result<int> doubled(int v) {
  COCOON_ASSIGN_OR_RETURN(int p, withContext(parsePositive(v), "reading field count"));
  return 2 * p;
}

Status check(int v) {
  COCOON_TRY(doubled(v));
  return okStatus();
}

TEST(Error, PrintsContextOutermostFirstOnOneLine) {
  Error e(Code::kNotFound, "no such blob");
  e.addContext("fetching layer 2").addContext("pulling docker.io/library/busybox");
  EXPECT_EQ(e.toString(),
            "NOT_FOUND: pulling docker.io/library/busybox: fetching layer 2: no such blob");
  EXPECT_EQ(fmt::format("{}", e), e.toString());
}

TEST(Result, AssignOrReturnPassesValueAndError) {
  ASSERT_TRUE(doubled(4));
  EXPECT_EQ(*doubled(4), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_EQ(bad.error().toString(),
            "INVALID_ARGUMENT: reading field count: value -1 is not positive");
}

TEST(Result, TryPropagatesErrorThroughStatus) {
  EXPECT_TRUE(check(1));
  EXPECT_EQ(check(0).error().code, Code::kInvalidArgument);
}

TEST(Error, CodeNamesMatchGrpc) {
  EXPECT_EQ(codeName(Code::kResourceExhausted), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(static_cast<int>(Code::kUnauthenticated), 16);
}

}  // namespace
}  // namespace cocoon
