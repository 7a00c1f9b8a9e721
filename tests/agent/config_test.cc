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
registries_d = "/etc/containers/registries.d"
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
  EXPECT_EQ(config->image.registries_d, "/etc/containers/registries.d");
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

// The [kbc] table and [image] URIs as guest-components' cdh.toml names them (kata's
// init-data cdh.toml: [kbc] name/url/kbs_cert, [image] image_security_policy_uri,
// authenticated_registry_credentials_uri).
TEST(AgentConfig, ReadsTheDataHubKeysOfCdhToml) {
  auto config = parseAgentConfig(R"(
[image]
image_security_policy_uri = "kbs:///default/security-policy/test"
authenticated_registry_credentials_uri = "kbs:///default/credential/test"
[kbc]
name = "cc_kbc"
url = "https://kbs.example:8080"
kbs_cert = """
-----BEGIN CERTIFICATE-----
MIIB
-----END CERTIFICATE-----
"""
tee = "tdx"
)",
                                 "agent.toml");
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->image.image_security_policy_uri, "kbs:///default/security-policy/test");
  EXPECT_EQ(config->image.authenticated_registry_credentials_uri, "kbs:///default/credential/test");
  EXPECT_EQ(config->kbc.url, "https://kbs.example:8080");
  EXPECT_TRUE(config->kbc.kbs_cert.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_EQ(config->kbc.tee, "tdx");
  EXPECT_FALSE(config->kbc.allow_sample);
}

TEST(AgentConfig, PolicyFileNeedsNoKbs) {
  auto config =
      parseAgentConfig("[image]\nimage_security_policy_uri = \"/etc/policy.json\"\n", "a.toml");
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->image.image_security_policy_uri, "/etc/policy.json");
  EXPECT_TRUE(config->kbc.url.empty());
}

TEST(AgentConfig, RejectsInconsistentDataHubKeys) {
  expectError(parseAgentConfig("[image]\nimage_security_policy_uri = \"kbs:///a/b/c\"\n", "a.toml"),
              Code::kInvalidArgument, "needs a KBS: [kbc] url is not set");
  expectError(parseAgentConfig("[image]\nimage_security_policy_uri = \"policy.json\"\n", "a.toml"),
              Code::kInvalidArgument, "expected an absolute path or kbs:///repo/type/tag");
  expectError(
      parseAgentConfig("[image]\nauthenticated_registry_credentials_uri = \"/a.json\"\n", "a.toml"),
      Code::kInvalidArgument, "expected kbs:///repo/type/tag");
  expectError(parseAgentConfig("[image]\nauth_file = \"/a.json\"\n"
                               "authenticated_registry_credentials_uri = \"kbs:///a/b/c\"\n"
                               "[kbc]\nurl = \"http://127.0.0.1:1\"\n",
                               "a.toml"),
              Code::kInvalidArgument, "exclude each other");
  expectError(parseAgentConfig("[kbc]\nurl = \"kbs.example\"\n", "a.toml"), Code::kInvalidArgument,
              "url: expected http(s)://HOST[:PORT]");
  expectError(parseAgentConfig("[kbc]\nurl = \"http://k\"\ntee = \"sev\"\n", "a.toml"),
              Code::kInvalidArgument, "tee: expected auto, snp, tdx, tpm or sample");
  expectError(parseAgentConfig("[kbc]\nurl = \"http://k\"\nname = \"offline_fs_kbc\"\n", "a.toml"),
              Code::kInvalidArgument, "name: expected \"cc_kbc\"");
  expectError(parseAgentConfig("[kbc]\nurl = \"http://k\"\nkbs_cert = \"x\"\n"
                               "kbs_cert_file = \"/c.pem\"\n",
                               "a.toml"),
              Code::kInvalidArgument, "kbs_cert and kbs_cert_file exclude each other");
  expectError(parseAgentConfig("[kbc]\nurl = \"http://k\"\nport = 1\n", "a.toml"),
              Code::kInvalidArgument, "port");
}

}  // namespace
}  // namespace cocoon::agent
