// SPDX-License-Identifier: Apache-2.0
#include "kbs/config.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::kbs {
namespace {

using test::expectError;

TEST(KbsConfig, EmptyFileGivesDocumentedDefaults) {
  auto c = parseKbsConfig("", "kbs.toml", "/etc/kbs");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->data_dir, "/var/lib/cocoon-kbs");
  EXPECT_FALSE(c->allow_sample);
  EXPECT_EQ(c->limits.max_body_bytes, 4u * 1024u * 1024u);
  EXPECT_EQ(c->attestation.token_ttl_seconds, 300);
  EXPECT_EQ(storeUrl(*c), "sqlite:///var/lib/cocoon-kbs/kbs.db");
}

TEST(KbsConfig, ResolvesRelativePathsAgainstTheFilesDirectory) {
  auto c = parseKbsConfig(R"(
listen = "0.0.0.0:8443"
data_dir = "data"
admin_public_key = "/abs/admin.pem"
store = "postgres://kbs@db/kbs"
[tls]
cert = "tls/cert.pem"
key = "tls/key.pem"
[attestation]
token_ttl_seconds = 60
[tpm]
trusted_ak_keys = ["ak1.pem", "/abs/ak2.pem"]
)",
                          "kbs.toml", "/etc/kbs");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->data_dir, "/etc/kbs/data");
  EXPECT_EQ(c->admin_public_key, "/abs/admin.pem");
  EXPECT_EQ(c->tls.cert, "/etc/kbs/tls/cert.pem");
  EXPECT_EQ(c->attestation.token_ttl_seconds, 60);
  ASSERT_EQ(c->tpm.trusted_ak_keys.size(), 2u);
  EXPECT_EQ(c->tpm.trusted_ak_keys[0], "/etc/kbs/ak1.pem");
  EXPECT_EQ(storeUrl(*c), "postgres://kbs@db/kbs");
  EXPECT_TRUE(validateKbsConfig(*c));
}

TEST(KbsConfig, RejectsUnknownKeysWithTheirLocation) {
  expectError(parseKbsConfig("listen = \"a:1\"\nadmin_key = \"x\"\n", "kbs.toml", "/"),
              Code::kInvalidArgument, "admin_key");
  expectError(parseKbsConfig("[limits]\nmax_body = 5\n", "kbs.toml", "/"), Code::kInvalidArgument,
              "max_body");
}

TEST(KbsConfig, ReadsTheHardwareVerifierSections) {
  auto c = parseKbsConfig(R"(
[snp]
vcek_cache_dir = "vcek"
fetch_from_kds = true
[tdx]
collateral_dir = "/var/lib/collateral"
pcs_url = "https://pccs.example:8081"
require_collateral = true
allow_debug = true
)",
                          "kbs.toml", "/etc/kbs");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->snp.vcek_cache_dir, "/etc/kbs/vcek");
  EXPECT_TRUE(c->snp.fetch_from_kds);
  EXPECT_EQ(c->snp.kds_url, "https://kdsintf.amd.com");
  EXPECT_FALSE(c->snp.allow_debug);
  EXPECT_EQ(c->tdx.collateral_dir, "/var/lib/collateral");
  EXPECT_EQ(c->tdx.pcs_url, "https://pccs.example:8081");
  EXPECT_TRUE(c->tdx.require_collateral);
  EXPECT_TRUE(c->tdx.allow_debug);

  expectError(parseKbsConfig("[snp]\nkds = true\n", "kbs.toml", "/"), Code::kInvalidArgument,
              "[snp]");
  expectError(parseKbsConfig("[tdx]\nallow_debug = 1\n", "kbs.toml", "/"), Code::kInvalidArgument,
              "allow_debug");
}

TEST(KbsConfig, RejectsOutOfRangeAndMistypedValues) {
  expectError(parseKbsConfig("[limits]\nmax_body_bytes = 0\n", "kbs.toml", "/"),
              Code::kInvalidArgument, "max_body_bytes");
  expectError(parseKbsConfig("allow_sample = \"yes\"\n", "kbs.toml", "/"), Code::kInvalidArgument,
              "allow_sample");
}

TEST(KbsConfig, ValidationNamesWhatIsMissing) {
  KbsConfig c;
  expectError(validateKbsConfig(c), Code::kInvalidArgument, "no admin public key");
  c.admin_public_key = "/a.pem";
  c.tls.cert = "/c.pem";
  expectError(validateKbsConfig(c), Code::kInvalidArgument, "got only the certificate");
  c.tls.cert.clear();
  c.listen = "8080";
  expectError(validateKbsConfig(c), Code::kInvalidArgument, "not host:port");
}

}  // namespace
}  // namespace cocoon::kbs
