// SPDX-License-Identifier: Apache-2.0
// The guest side of init-data: finding the disk, decoding, the digest check against the
// kernel command line, policy.rego refused, cdh.toml/aa.toml applied, and fail-closed
// outcomes with the exact reasons.
#include "agent/initdata.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "support/expect.h"

namespace cocoon::agent {
namespace {

namespace fs = std::filesystem;
namespace tee = runtime::tee;
using test::expectError;

constexpr std::string_view kPolicy =
    R"({"version": 1, "id": "owner", "default": "allow", "rules": [)"
    R"({"id": "no-exec", "requests": ["ExecProcess"], "effect": "deny", "reason": "no exec"}]})";

std::string document(const std::map<std::string, std::string>& data) {
  tee::InitData init_data;
  init_data.algorithm = crypto::DigestAlgorithm::kSha256;
  init_data.data = data;
  auto bundle = tee::buildInitData(init_data);
  EXPECT_TRUE(bundle) << bundle.error().toString();
  return bundle ? bundle->toml : std::string();
}

std::map<std::string, std::string> ownerData() {
  return {{"cdh.toml",
           "[kbc]\nname = \"cc_kbc\"\nurl = \"http://10.0.2.100:8080\"\n"
           "[image]\nimage_security_policy_uri = \"kbs:///default/security-policy/test\"\n"
           "insecure_registries = [\"10.0.2.100:5000\"]\n"},
          {"aa.toml", "[token_configs.kbs]\nurl = \"http://10.0.2.100:8080\"\n"},
          {"policy.json", std::string(kPolicy)}};
}

class GuestInitDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("agent-initdata");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
  }

  fs::path write(const std::string& name, std::string_view text) {
    const fs::path path = dir_->path() / name;
    EXPECT_TRUE(writeFileAtomic(path, asBytes(text)));
    return path;
  }

  fs::path writeBlock(const std::string& name, std::string_view toml) {
    auto block = tee::encodeInitDataBlock(toml);
    EXPECT_TRUE(block) << block.error().toString();
    const fs::path path = dir_->path() / name;
    EXPECT_TRUE(writeFileAtomic(path, *block));
    return path;
  }

  fs::path cmdline(std::string_view toml) {
    const tee::InitDataDigest d = tee::initDataDigest(crypto::DigestAlgorithm::kSha256, toml);
    return write("cmdline", "console=ttyS0 cocoon.initdata=sha256:" + hexEncode(d.value) + "\n");
  }

  std::optional<TempDir> dir_;
};

TEST_F(GuestInitDataTest, AppliesAGoodBlockWhoseDigestMatches) {
  const std::string toml = document(ownerData());
  AgentConfig config;
  config.image.registries_conf = "/etc/containers/registries.conf";
  const InitDataOutcome out = loadGuestInitData(
      {.file = writeBlock("initdata.img", toml), .cmdline = cmdline(toml)}, config);
  ASSERT_FALSE(out.refusal) << *out.refusal;
  ASSERT_TRUE(out.init_data);
  EXPECT_EQ(out.init_data->toml, toml);
  ASSERT_TRUE(out.policy);
  EXPECT_EQ(out.policy->id(), "owner");
  EXPECT_EQ(config.kbc.url, "http://10.0.2.100:8080");
  EXPECT_EQ(config.kbc.init_data, toml);
  EXPECT_EQ(config.image.image_security_policy_uri, "kbs:///default/security-policy/test");
  // cdh.toml's [image] replaces the image's table as a whole.
  EXPECT_EQ(config.image.registries_conf, "");
  EXPECT_EQ(config.image.insecure_registries, std::vector<std::string>{"10.0.2.100:5000"});
}

TEST_F(GuestInitDataTest, RefusesADigestOtherThanTheKernelCommandLines) {
  const std::string toml = document(ownerData());
  AgentConfig config;
  const InitDataOutcome out = loadGuestInitData(
      {.file = writeBlock("initdata.img", toml), .cmdline = cmdline(toml + "\n")}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_NE(out.refusal->find("does not match the kernel command line's sha256:"),
            std::string::npos)
      << *out.refusal;
  EXPECT_FALSE(out.policy);
  EXPECT_EQ(config.kbc.url, "");
}

TEST_F(GuestInitDataTest, RefusesPolicyRego) {
  const std::string toml = document({{"policy.rego", "package agent_policy\n"}});
  AgentConfig config;
  const InitDataOutcome out = loadGuestInitData({.file = write("i.toml", toml)}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_NE(out.refusal->find("init-data carries policy.rego (a Rego agent policy, which cocoon "
                              "does not evaluate)"),
            std::string::npos)
      << *out.refusal;
}

TEST_F(GuestInitDataTest, RefusesMalformedBlocksAndToml) {
  const std::string toml = document(ownerData());
  auto block = tee::encodeInitDataBlock(toml);
  ASSERT_TRUE(block);
  Bytes bad_magic = *block;
  bad_magic[0] = 'I';  // then it is read as TOML text, which it is not
  expectError(decodeGuestInitData(bad_magic), Code::kInvalidArgument, "TOML: ");
  Bytes truncated(block->begin(), block->begin() + 20);
  expectError(decodeGuestInitData(truncated), Code::kInvalidArgument, "block image: ");
  expectError(decodeGuestInitData(asBytes("version = \"0.1.0\"\nalgorithm = \"md5\"\n")),
              Code::kInvalidArgument, "TOML: ");

  AgentConfig config;
  const fs::path path = write("bad.img", std::string_view("initdata\x05", 9));
  const InitDataOutcome out = loadGuestInitData({.file = path}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->rfind("init-data " + path.string() + ": block image: ", 0), 0u)
      << *out.refusal;
}

TEST_F(GuestInitDataTest, RefusesABadPolicyJsonOrCdhToml) {
  AgentConfig config;
  InitDataOutcome out =
      loadGuestInitData({.file = write("p", document({{"policy.json", "{}"}}))}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_NE(out.refusal->find(": policy.json: policy"), std::string::npos) << *out.refusal;
  out = loadGuestInitData(
      {.file = write("c", document({{"cdh.toml", "socket = \"unix:///run/cdh.sock\"\n"}}))},
      config);
  ASSERT_TRUE(out.refusal);
  EXPECT_NE(out.refusal->find("init-data cdh.toml"), std::string::npos) << *out.refusal;
  EXPECT_NE(out.refusal->find("socket"), std::string::npos) << *out.refusal;
}

TEST_F(GuestInitDataTest, NoInitDataKeepsTheImageSettings) {
  AgentConfig config;
  config.kbc.url = "http://image.example";
  fs::create_directories(dir_->path() / "sys/vda");
  EXPECT_TRUE(writeFileAtomic(dir_->path() / "sys/vda/serial", asBytes("scratch\n")));
  const InitDataOutcome out = loadGuestInitData({.search_disks = true,
                                                 .sys_block = dir_->path() / "sys",
                                                 .cmdline = write("cmdline", "console=ttyS0\n")},
                                                config);
  EXPECT_FALSE(out.refusal);
  EXPECT_FALSE(out.init_data);
  EXPECT_FALSE(out.policy);
  EXPECT_EQ(config.kbc.url, "http://image.example");
}

TEST_F(GuestInitDataTest, ABoundDigestWithoutADiskIsRefused) {
  AgentConfig config;
  fs::create_directories(dir_->path() / "sys");
  const InitDataOutcome out = loadGuestInitData(
      {.search_disks = true, .sys_block = dir_->path() / "sys", .cmdline = cmdline("x")}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_NE(out.refusal->find("but no init-data disk (serial \"initdata\") is attached"),
            std::string::npos)
      << *out.refusal;
}

TEST_F(GuestInitDataTest, FindsTheDiskBySerial) {
  const fs::path sys = dir_->path() / "sys";
  for (const char* name : {"vda", "vdb"}) {
    fs::create_directories(sys / name);
  }
  EXPECT_TRUE(writeFileAtomic(sys / "vda/serial", asBytes("scratch\n")));
  EXPECT_TRUE(writeFileAtomic(sys / "vdb/serial", asBytes("initdata\n")));
  auto found = findInitDataDisk(sys, "/dev");
  ASSERT_TRUE(found) << found.error().toString();
  EXPECT_EQ(*found, std::optional<fs::path>("/dev/vdb"));
  expectError(findInitDataDisk(dir_->path() / "none", "/dev"), Code::kInternal, "listing ");
}

TEST(KernelInitDataDigest, ParsesTheBackendsParameter) {
  const std::string hex(64, 'a');
  auto d = kernelInitDataDigest("quiet cocoon.initdata=sha256:" + hex + " panic=-1");
  ASSERT_TRUE(d) << d.error().toString();
  ASSERT_TRUE(*d);
  EXPECT_EQ((*d)->algorithm, crypto::DigestAlgorithm::kSha256);
  EXPECT_EQ(hexEncode((*d)->value), hex);
  auto none = kernelInitDataDigest("quiet");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  expectError(kernelInitDataDigest("cocoon.initdata=sha256"), Code::kInvalidArgument,
              "expected <algorithm>:<hex>");
  expectError(kernelInitDataDigest("cocoon.initdata=sha384:" + hex), Code::kInvalidArgument,
              "32 bytes of digest, expected 48 for sha384");
  expectError(kernelInitDataDigest("cocoon.initdata=sha256:" + hex + " cocoon.initdata=x"),
              Code::kInvalidArgument, "given twice");
}

}  // namespace
}  // namespace cocoon::agent
