// SPDX-License-Identifier: Apache-2.0
#include "runtime/tee/backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "measure/firmware_builder.h"
#include "measure/snp.h"
#include "measure/tdx.h"
#include "support/expect.h"

namespace cocoon::runtime::tee {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A sha256 and a sha384 init-data digest with recognisable bytes.
InitDataDigest sha256Digest() {
  Bytes v(32);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<std::uint8_t>(i);
  }
  return {crypto::DigestAlgorithm::kSha256, v};
}

InitDataDigest sha384Digest() {
  return {crypto::DigestAlgorithm::kSha384, Bytes(48, 0xcd)};
}

QemuTeeConfig configure(TeeKind kind, const LaunchRequest& request,
                        const TeeOptions& options = {}) {
  auto config = makeTeeBackend(kind, options)->configure(request);
  EXPECT_TRUE(config) << config.error().toString();
  return config ? *config : QemuTeeConfig{};
}

TEST(SnpBackend, SevSnpGuestObjectWithHostData) {
  TeeOptions options;
  options.sev_cpuid = {47, 5};
  const QemuTeeConfig config = configure(TeeKind::kSnp, {sha256Digest(), {}}, options);
  EXPECT_EQ(config.kind, TeeKind::kSnp);
  EXPECT_THAT(config.machine_properties, ElementsAre("confidential-guest-support=snp"));
  EXPECT_THAT(
      config.arguments,
      ElementsAre("-object",
                  "sev-snp-guest,id=snp,cbitpos=47,reduced-phys-bits=5,policy=0x30000,"
                  "kernel-hashes=on,host-data=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
  EXPECT_EQ(config.firmware, std::filesystem::path("/usr/share/ovmf/OVMF.amdsev.fd"));
  EXPECT_THAT(config.kernel_parameters, IsEmpty());
  EXPECT_THAT(config.helper_command, IsEmpty());
}

TEST(SnpBackend, WithoutInitDataHasNoHostData) {
  EXPECT_THAT(configure(TeeKind::kSnp, {}).arguments,
              ElementsAre("-object",
                          "sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1,"
                          "policy=0x30000,kernel-hashes=on"));
}

TEST(SnpBackend, CutsLongerDigestToHostData) {
  EXPECT_THAT(configure(TeeKind::kSnp, {sha384Digest(), {}}).arguments[1],
              ::testing::EndsWith(",host-data=" + base64Encode(Bytes(32, 0xcd))));
}

TEST(TeeBackend, InitDataAlgorithmFillsEachField) {
  EXPECT_EQ(initDataAlgorithm(TeeKind::kSnp), crypto::DigestAlgorithm::kSha256);
  EXPECT_EQ(initDataAlgorithm(TeeKind::kTdx), crypto::DigestAlgorithm::kSha384);
  EXPECT_EQ(initDataAlgorithm(TeeKind::kVtpm), crypto::DigestAlgorithm::kSha256);
}

TEST(TdxBackend, TdxGuestObjectWithMrConfigIdAndQgs) {
  const QemuTeeConfig config = configure(TeeKind::kTdx, {sha384Digest(), {}});
  EXPECT_THAT(config.machine_properties,
              ElementsAre("kernel-irqchip=split", "confidential-guest-support=tdx"));
  const std::string mrconfigid = base64Encode(Bytes(48, 0xcd));
  EXPECT_THAT(
      config.arguments,
      ElementsAre("-object", R"({"qom-type":"tdx-guest","id":"tdx","mrconfigid":")" + mrconfigid +
                                 R"(","quote-generation-socket":{"type":"vsock",)"
                                 R"("cid":"2","port":"4050"}})"));
  EXPECT_EQ(config.firmware, std::filesystem::path("/usr/share/ovmf/OVMF.inteltdx.fd"));
}

TEST(TdxBackend, PadsSha256DigestIntoMrConfigId) {
  Bytes padded = sha256Digest().value;
  padded.resize(48, 0);
  const QemuTeeConfig config = configure(TeeKind::kTdx, {sha256Digest(), {}});
  EXPECT_THAT(config.arguments[1], ::testing::HasSubstr(base64Encode(padded)));
}

TEST(SevBackend, SevAndSevEsPoliciesAndDigestOnTheMeasuredCommandLine) {
  const QemuTeeConfig sev = configure(TeeKind::kSev, {sha256Digest(), {}});
  EXPECT_THAT(sev.arguments, ElementsAre("-object",
                                         "sev-guest,id=sev,cbitpos=51,reduced-phys-bits=1,"
                                         "policy=0x1,kernel-hashes=on"));
  EXPECT_THAT(sev.machine_properties, ElementsAre("confidential-guest-support=sev"));
  EXPECT_THAT(sev.kernel_parameters,
              ElementsAre("cocoon.initdata=sha256:" + hexEncode(sha256Digest().value)));
  const QemuTeeConfig sev_es = configure(TeeKind::kSevEs, {});
  EXPECT_EQ(sev_es.kind, TeeKind::kSevEs);
  EXPECT_THAT(sev_es.arguments, ElementsAre("-object",
                                            "sev-guest,id=sev,cbitpos=51,reduced-phys-bits=1,"
                                            "policy=0x5,kernel-hashes=on"));
  EXPECT_THAT(sev_es.kernel_parameters, IsEmpty());
}

TEST(VtpmBackend, SwtpmHelperAndTpmTisDevice) {
  const QemuTeeConfig config = configure(TeeKind::kVtpm, {sha256Digest(), "/run/cocoon/sb,1"});
  EXPECT_THAT(
      config.helper_command,
      ElementsAre("/usr/bin/swtpm", "socket", "--tpm2", "--tpmstate", "dir=/run/cocoon/sb,1",
                  "--ctrl", "type=unixio,path=/run/cocoon/sb,1/swtpm.sock", "--terminate"));
  EXPECT_THAT(
      config.arguments,
      ElementsAre("-chardev", "socket,id=chrtpm,path=/run/cocoon/sb,,1/swtpm.sock", "-tpmdev",
                  "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"));
  EXPECT_THAT(config.machine_properties, IsEmpty());
  EXPECT_FALSE(config.firmware);
  EXPECT_THAT(config.kernel_parameters,
              ElementsAre("cocoon.initdata=sha256:" + hexEncode(sha256Digest().value)));
}

TEST(VtpmBackend, NeedsSha256Digest) {
  test::expectError(makeTeeBackend(TeeKind::kVtpm, {})->configure({sha384Digest(), "/run/x"}),
                    Code::kInvalidArgument,
                    "vtpm: the init-data digest is sha384 (48 bytes); PCR 8 binds a sha256 digest");
}

TEST(VtpmBackend, NeedsStateDirectory) {
  test::expectError(makeTeeBackend(TeeKind::kVtpm, {})->configure({}), Code::kInvalidArgument,
                    "vtpm: the launch request has no state directory");
}

TEST(NoneBackend, AddsNothingButTheDigestParameter) {
  const QemuTeeConfig config = configure(TeeKind::kNone, {});
  EXPECT_EQ(config.kind, TeeKind::kNone);
  EXPECT_THAT(config.arguments, IsEmpty());
  EXPECT_THAT(config.machine_properties, IsEmpty());
  EXPECT_FALSE(config.firmware);
}

TEST(SnpBackend, ExpectedMeasurementIsTheSnpLaunchDigest) {
  const Bytes firmware = measure::test::amdSevLikeFirmware();
  const Bytes kernel = measure::test::testKernel();
  const Bytes initrd = measure::test::testInitrd();
  MeasurementInputs inputs{firmware, kernel, initrd, "console=ttyS0", 2, "EPYC-v4"};
  auto got = makeTeeBackend(TeeKind::kSnp, {})->expectedMeasurement(inputs);
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->field, "measurement");

  auto ovmf = measure::parseOvmf(firmware);
  ASSERT_TRUE(ovmf);
  measure::SnpLaunchConfig launch;
  launch.vcpus = 2;
  launch.vcpu_signature = *measure::cpuSignatureOf("EPYC-v4");
  launch.kernel_hashes = measure::hashKernelInputs(kernel, initrd, "console=ttyS0");
  auto want = measure::snpLaunchDigest(*ovmf, launch);
  ASSERT_TRUE(want);
  EXPECT_EQ(got->value, Bytes(want->begin(), want->end()));
}

TEST(SnpBackend, ExpectedMeasurementReportsUnknownVcpuType) {
  const Bytes firmware = measure::test::amdSevLikeFirmware();
  MeasurementInputs inputs{firmware, {}, {}, "", 1, "Pentium"};
  test::expectError(makeTeeBackend(TeeKind::kSnp, {})->expectedMeasurement(inputs),
                    Code::kInvalidArgument, "Pentium");
}

TEST(TdxBackend, ExpectedMeasurementIsMrtd) {
  measure::TdxSection bfv;
  bfv.data_offset = 0;
  bfv.raw_data_size = 0x1000;
  bfv.memory_address = 0xFFFF0000;
  bfv.memory_data_size = 0x1000;
  bfv.type = measure::TdxSectionType::kBfv;
  bfv.attributes = measure::kTdxAttributeMrExtend;
  const Bytes tdvf = measure::test::FirmwareBuilder(0x10000).withTdxSection(bfv).build();
  auto got = makeTeeBackend(TeeKind::kTdx, {})->expectedMeasurement({tdvf, {}, {}, "", 1, ""});
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->field, "mr_td");
  auto want = measure::tdxMrtd(*measure::parseOvmf(tdvf));
  ASSERT_TRUE(want);
  EXPECT_EQ(got->value, Bytes(want->begin(), want->end()));
}

TEST(TeeBackend, SevVtpmAndNoneDoNotPredictMeasurements) {
  for (TeeKind kind : {TeeKind::kSev, TeeKind::kSevEs, TeeKind::kVtpm, TeeKind::kNone}) {
    auto r = makeTeeBackend(kind, {})->expectedMeasurement({});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kUnimplemented);
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("the launch measurement is not predicted"));
  }
}

}  // namespace
}  // namespace cocoon::runtime::tee
