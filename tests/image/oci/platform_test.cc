// SPDX-License-Identifier: Apache-2.0
// Normalisation cases follow containerd's platforms/database.go aliases.
#include "image/oci/platform.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

TEST(Platform, ParsesAndNormalises) {
  const std::pair<const char*, const char*> cases[] = {
      {"linux/arm64/v8", "linux/arm64/v8"}, {"linux/arm64", "linux/arm64/v8"},
      {"linux/aarch64", "linux/arm64/v8"},  {"linux/arm64/8", "linux/arm64/v8"},
      {"linux/arm", "linux/arm/v7"},        {"linux/armhf", "linux/arm/v7"},
      {"linux/armel", "linux/arm/v6"},      {"linux/arm/6", "linux/arm/v6"},
      {"linux/x86_64", "linux/amd64"},      {"Linux/AMD64/V1", "linux/amd64"},
      {"linux/amd64/v3", "linux/amd64/v3"}, {"linux/i386", "linux/386"},
      {"macos/arm64", "darwin/arm64/v8"},   {"linux/s390x", "linux/s390x"},
  };
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input);
    auto p = parsePlatform(input);
    ASSERT_TRUE(p) << p.error().toString();
    EXPECT_EQ(p->toString(), expected);
  }
}

TEST(Platform, RejectsMalformedSpecifiers) {
  expectError(parsePlatform("linux"), Code::kInvalidArgument, "is not os/arch[/variant]");
  expectError(parsePlatform(""), Code::kInvalidArgument, "is not os/arch[/variant]");
  expectError(parsePlatform("linux/arm/v7/x"), Code::kInvalidArgument, "more than 3 parts");
  expectError(parsePlatform("linux//v7"), Code::kInvalidArgument, "part 1 is empty");
  expectError(parsePlatform("linux/arm 64"), Code::kInvalidArgument, "part 1");
  expectError(parsePlatform("linux/arm64/"), Code::kInvalidArgument, "part 2");
}

TEST(Platform, HostPlatformIsLinux) {
  const Platform host = hostPlatform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
  EXPECT_EQ(normalizePlatform(host), host);
  EXPECT_EQ(platformMatchScore(host, host), 100);
}

TEST(Platform, ScoresVariantsLikeContainerd) {
  const Platform arm7 = *parsePlatform("linux/arm/v7");
  EXPECT_EQ(platformMatchScore(arm7, *parsePlatform("linux/arm")), 100);
  EXPECT_EQ(platformMatchScore(arm7, *parsePlatform("linux/arm/v6")), 99);
  EXPECT_EQ(platformMatchScore(arm7, *parsePlatform("linux/arm/v5")), 98);
  EXPECT_EQ(platformMatchScore(arm7, *parsePlatform("linux/arm/v8")), 0);
  EXPECT_EQ(platformMatchScore(*parsePlatform("linux/amd64"), *parsePlatform("linux/amd64/v2")), 0);
  EXPECT_EQ(platformMatchScore(*parsePlatform("linux/arm64"), *parsePlatform("linux/arm/v7")), 0);
  EXPECT_EQ(platformMatchScore(*parsePlatform("linux/amd64"), *parsePlatform("windows/amd64")), 0);
}

}  // namespace
}  // namespace cocoon::image::oci
