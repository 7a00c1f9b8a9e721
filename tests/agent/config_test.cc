// SPDX-License-Identifier: Apache-2.0
// AgentConfig parsing: defaults, every key, and the strictness rules.
#include "agent/config.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;

TEST(AgentConfig, EmptyFileKeepsDefaults) {
  auto config = parseAgentConfig("", "agent.toml");
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->state_dir, "/run/cocoon/agent");
  EXPECT_EQ(config->oci_runtime, "/usr/bin/crun");
  EXPECT_FALSE(config->image.flatten);
  EXPECT_TRUE(config->image.insecure_registries.empty());
}

TEST(AgentConfig, ReadsEveryKey) {
  auto config = parseAgentConfig(R"(
state_dir = "/var/lib/agent"
oci_runtime = "/usr/sbin/runc"
[image]
insecure_registries = ["127.0.0.1:5000", "[::1]:5001"]
auth_file = "/etc/cocoon/auth.json"
flatten = true
)",
                                 "agent.toml");
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->state_dir, "/var/lib/agent");
  EXPECT_EQ(config->oci_runtime, "/usr/sbin/runc");
  EXPECT_EQ(config->image.insecure_registries,
            (std::vector<std::string>{"127.0.0.1:5000", "[::1]:5001"}));
  EXPECT_EQ(config->image.auth_file, "/etc/cocoon/auth.json");
  EXPECT_TRUE(config->image.flatten);
}

TEST(AgentConfig, RejectsUnknownKeys) {
  expectError(parseAgentConfig("state_dirr = \"/x\"\n", "agent.toml"), Code::kInvalidArgument,
              "state_dirr");
  expectError(parseAgentConfig("[image]\ninsecure = true\n", "agent.toml"), Code::kInvalidArgument,
              "insecure");
}

TEST(AgentConfig, RejectsRelativePaths) {
  expectError(parseAgentConfig("state_dir = \"run/agent\"\n", "agent.toml"), Code::kInvalidArgument,
              "expected an absolute path, found \"run/agent\"");
}

TEST(AgentConfig, RejectsRegistriesConfWithInsecureRegistries) {
  expectError(parseAgentConfig("[image]\nregistries_conf = \"/etc/r.conf\"\n"
                               "insecure_registries = [\"a:1\"]\n",
                               "agent.toml"),
              Code::kInvalidArgument, "exclude each other");
}

TEST(AgentConfig, RejectsRegistryNamesThatWouldBreakTheGeneratedConf) {
  expectError(parseAgentConfig("[image]\ninsecure_registries = [\"a\\\"\\nb\"]\n", "agent.toml"),
              Code::kInvalidArgument, "is not a host[:port]");
}

TEST(AgentConfig, InsecureRegistriesConfMarksEachRegistry) {
  EXPECT_EQ(insecureRegistriesConf({"127.0.0.1:5000"}),
            "[[registry]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n");
}

}  // namespace
}  // namespace cocoon::agent
