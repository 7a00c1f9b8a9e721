// SPDX-License-Identifier: Apache-2.0
// Test helpers: decoding literal vectors and asserting the exact error of a Result.
#pragma once

#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::test {

// Decodes a hex / base64url literal; a malformed literal fails the current test.
Bytes unhex(std::string_view hex);
Bytes unb64u(std::string_view text);

// Expects `r` to have failed with `code` and a message containing `message_part`.
template <class T>
void expectError(const Result<T>& r, Code code, std::string_view message_part = {}) {
  ASSERT_FALSE(r.has_value()) << "expected " << codeName(code) << ", got success";
  EXPECT_EQ(r.error().code, code) << r.error().toString();
  EXPECT_THAT(r.error().message, ::testing::HasSubstr(std::string(message_part)));
}

// Expects `r` to have succeeded with `expected`.
template <class T, class U>
void expectValue(const Result<T>& r, const U& expected) {
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(*r, expected);
}

}  // namespace cocoon::test
