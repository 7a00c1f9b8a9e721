// SPDX-License-Identifier: Apache-2.0
// The agent binds init-data into a real software TPM's PCR 8 (agent/initdata.h), once, and
// fails closed when it cannot.
#include <gtest/gtest.h>

#include "agent/initdata.h"
#include "attest/swtpm.h"
#include "attest/tpm.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;

constexpr char kSha256Doc[] =
    "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.json\" = "
    "'{\"version\": 1, \"id\": \"owner\", \"default\": \"allow\", \"rules\": []}'\n";
constexpr char kSha384Doc[] = "version = \"0.1.0\"\nalgorithm = \"sha384\"\n[data]\n";

// SHA-256 PCR 8 as a TPM attester on `tcti` quotes it (hex).
std::string quotedPcr8(const std::string& tcti) {
  attest::TpmAttesterConfig config;
  config.tcti = tcti;
  auto attester = attest::createTpmAttester(config);
  EXPECT_TRUE(attester) << attester.error().toString();
  if (!attester) {
    return "";
  }
  auto evidence = (*attester)->evidence(Bytes(32, 7));
  EXPECT_TRUE(evidence) << evidence.error().toString();
  return evidence ? (*evidence)["tpm_quote"]["pcrs"][8].get<std::string>() : "";
}

// PCR 8 after extend(0, digest): SHA-256(32 zero bytes || digest).
std::string boundPcr8(ByteSpan digest) {
  Bytes input(32, 0);
  input.insert(input.end(), digest.begin(), digest.end());
  return hexEncode(crypto::sha256(input));
}

class InitDataBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tpm = attest::test::Swtpm::start();
    ASSERT_TRUE(tpm) << tpm.error().toString();
    swtpm_ = std::move(*tpm);
    auto dir = TempDir::create("initdata-binding");
    ASSERT_TRUE(dir) << dir.error().toString();
    dir_.emplace(std::move(*dir));
    binding_.tee = "tpm";
    binding_.env.root = dir_->path();  // no TEE devices: "auto" finds none
    binding_.tpm.tcti = swtpm_->tcti();
  }

  static GuestInitData decoded(std::string_view toml) {
    auto d = decodeGuestInitData(asBytes(toml));
    EXPECT_TRUE(d) << d.error().toString();
    return d ? std::move(*d) : GuestInitData{};
  }

  std::unique_ptr<attest::test::Swtpm> swtpm_;
  std::optional<TempDir> dir_;
  InitDataBinding binding_;
};

TEST_F(InitDataBindingTest, Sha256InitDataExtendsPcr8Once) {
  const GuestInitData init = decoded(kSha256Doc);
  ASSERT_TRUE(bindGuestInitData(init, binding_));
  EXPECT_EQ(quotedPcr8(swtpm_->tcti()), boundPcr8(init.digest.value));
  // A restarted agent binds the same document again: PCR 8 keeps the value.
  ASSERT_TRUE(bindGuestInitData(init, binding_));
  EXPECT_EQ(quotedPcr8(swtpm_->tcti()), boundPcr8(init.digest.value));
}

TEST_F(InitDataBindingTest, OtherInitDataAfterBindingIsFailedPrecondition) {
  ASSERT_TRUE(bindGuestInitData(decoded(kSha256Doc), binding_));
  const GuestInitData other = decoded("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n");
  expectError(bindGuestInitData(other, binding_), Code::kFailedPrecondition, "PCR 8 already holds");
}

TEST_F(InitDataBindingTest, Sha384WithTpmIsFailedPreconditionAndLeavesPcr8) {
  const GuestInitData init = decoded(kSha384Doc);
  expectError(bindGuestInitData(init, binding_), Code::kFailedPrecondition,
              "init-data algorithm is sha384, but a TPM binds init-data into its SHA-256 PCR 8");
  EXPECT_EQ(quotedPcr8(swtpm_->tcti()), hexEncode(Bytes(32, 0)));
}

TEST_F(InitDataBindingTest, NoTpmBindsNothing) {
  binding_.tee = "auto";  // nothing under env.root
  ASSERT_TRUE(bindGuestInitData(decoded(kSha384Doc), binding_));
  binding_.tee = "sample";
  ASSERT_TRUE(bindGuestInitData(decoded(kSha256Doc), binding_));
  EXPECT_EQ(quotedPcr8(swtpm_->tcti()), hexEncode(Bytes(32, 0)));
}

TEST_F(InitDataBindingTest, UnreachableTpmIsUnavailable) {
  binding_.tpm.tcti = "swtpm:host=127.0.0.1,port=1";
  expectError(bindGuestInitData(decoded(kSha256Doc), binding_), Code::kUnavailable,
              "binding init-data to the TPM (swtpm:host=127.0.0.1,port=1)");
}

TEST_F(InitDataBindingTest, LoadBindsWithTheConfiguredTee) {
  const auto file = dir_->path() / "initdata.toml";
  ASSERT_TRUE(writeFileAtomic(file, asBytes(kSha256Doc)));
  AgentConfig config;
  config.kbc.tee = "tpm";
  binding_.tee = "auto";  // replaced by config.kbc.tee
  const InitDataOutcome out =
      loadGuestInitData({.file = file, .cmdline = {}, .binding = binding_}, config);
  ASSERT_FALSE(out.refusal) << *out.refusal;
  ASSERT_TRUE(out.init_data);
  EXPECT_EQ(config.kbc.init_data, kSha256Doc);
  EXPECT_EQ(quotedPcr8(swtpm_->tcti()), boundPcr8(out.init_data->digest.value));
}

TEST_F(InitDataBindingTest, LoadRefusesWhenBindingFailsAndKeepsConfig) {
  const auto file = dir_->path() / "initdata.toml";
  ASSERT_TRUE(writeFileAtomic(file, asBytes(kSha384Doc)));
  AgentConfig config;
  config.kbc.tee = "tpm";
  const InitDataOutcome out =
      loadGuestInitData({.file = file, .cmdline = {}, .binding = binding_}, config);
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(*out.refusal, "init-data " + file.string() +
                              ": init-data algorithm is sha384, but a TPM binds init-data into "
                              "its SHA-256 PCR 8: use algorithm = \"sha256\"");
  EXPECT_FALSE(out.init_data);
  EXPECT_FALSE(out.policy);
  EXPECT_TRUE(config.kbc.init_data.empty());
}

}  // namespace
}  // namespace cocoon::agent
