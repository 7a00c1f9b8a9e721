// SPDX-License-Identifier: Apache-2.0
#include "runtime/tee/detect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/tee/backend.h"
#include "runtime/tee/tee_kind.h"
#include "support/expect.h"

namespace cocoon::runtime::tee {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

HostReport detect(std::string_view tree) {
  DetectOptions options;
  options.root = std::filesystem::path(COCOON_SOURCE_DIR) / "tests/data/runtime" / tree;
  return detectHost(options);
}

// The failed TDX checks of a host without TDX (kvm_intel not TDX-enabled, no TDVF).
const std::vector<std::string> kNoTdxChecks = {
    "kvm_intel parameter tdx is unavailable (/sys/module/kvm_intel/parameters/tdx not readable: "
    "is the module loaded?)",
    "CPU flag tdx_host_platform is missing from /proc/cpuinfo",
    "TDX firmware (TDVF) /usr/share/ovmf/OVMF.inteltdx.fd is missing"};

std::vector<std::string> failed(const HostReport& report, TeeKind kind) {
  std::vector<std::string> out;
  for (const Check& c : report.support(kind).checks) {
    if (!c.ok) {
      out.push_back(c.what);
    }
  }
  return out;
}

std::vector<TeeKind> usable(const HostReport& report) {
  std::vector<TeeKind> out;
  for (const TeeSupport& s : report.tees) {
    if (s.usable) {
      out.push_back(s.kind);
    }
  }
  return out;
}

TEST(DetectHost, SnpHostOffersSnpSevEsSevAndVtpm) {
  const HostReport report = detect("snp_host");
  EXPECT_TRUE(report.kvm);
  EXPECT_EQ(report.cpu_vendor, "AuthenticAMD");
  EXPECT_EQ(usable(report), (std::vector<TeeKind>{TeeKind::kSnp, TeeKind::kSevEs, TeeKind::kSev,
                                                  TeeKind::kVtpm, TeeKind::kNone}));
  std::vector<std::string> snp_checks;
  for (const Check& c : report.support(TeeKind::kSnp).checks) {
    snp_checks.push_back(c.what);
  }
  EXPECT_THAT(snp_checks,
              ElementsAre("/dev/kvm is usable", "kvm_amd parameter sev_snp is Y",
                          "/dev/sev is usable", "CPU flag sev_snp is present",
                          "AMD SEV firmware /usr/share/ovmf/OVMF.amdsev.fd is present"));
  EXPECT_EQ(failed(report, TeeKind::kTdx), kNoTdxChecks);
}

TEST(DetectHost, SevDisabledInKvmAmdLeavesOnlyVtpm) {
  const HostReport report = detect("sev_disabled");
  EXPECT_EQ(usable(report), (std::vector<TeeKind>{TeeKind::kVtpm, TeeKind::kNone}));
  EXPECT_THAT(failed(report, TeeKind::kSnp),
              ElementsAre("kvm_amd parameter sev_snp is N (disabled)"));
  EXPECT_THAT(failed(report, TeeKind::kSevEs),
              ElementsAre("kvm_amd parameter sev_es is N (disabled)"));
}

TEST(DetectHost, TdxHostOffersTdxOnly) {
  const HostReport report = detect("tdx_host");
  EXPECT_EQ(report.cpu_vendor, "GenuineIntel");
  EXPECT_EQ(usable(report), (std::vector<TeeKind>{TeeKind::kTdx, TeeKind::kNone}));
  EXPECT_THAT(failed(report, TeeKind::kVtpm), ElementsAre("swtpm /usr/bin/swtpm is missing"));
  EXPECT_THAT(failed(report, TeeKind::kSnp),
              ElementsAre("kvm_amd parameter sev_snp is unavailable "
                          "(/sys/module/kvm_amd/parameters/sev_snp not readable: is the module "
                          "loaded?)",
                          "/dev/sev is missing", "CPU flag sev_snp is missing from /proc/cpuinfo",
                          "AMD SEV firmware /usr/share/ovmf/OVMF.amdsev.fd is missing"));
}

TEST(DetectHost, PlainHostOffersNothingButNone) {
  const HostReport report = detect("plain_host");
  EXPECT_TRUE(report.kvm);
  EXPECT_EQ(usable(report), std::vector<TeeKind>{TeeKind::kNone});
  EXPECT_EQ(failed(report, TeeKind::kTdx), kNoTdxChecks);
}

TEST(DetectHost, MissingRootFailsEveryHardwareCheck) {
  const HostReport report = detect("does_not_exist");
  EXPECT_FALSE(report.kvm);
  EXPECT_EQ(report.cpu_vendor, "");
  EXPECT_THAT(
      failed(report, TeeKind::kSev),
      ElementsAre("/dev/kvm is missing",
                  "kvm_amd parameter sev is unavailable "
                  "(/sys/module/kvm_amd/parameters/sev not readable: is the module "
                  "loaded?)",
                  "/dev/sev is missing", "CPU flag sev unknown: /proc/cpuinfo is not readable",
                  "AMD SEV firmware /usr/share/ovmf/OVMF.amdsev.fd is missing"));
}

TEST(DetectHost, FirmwarePathsAreConfigurable) {
  DetectOptions options;
  options.root = std::filesystem::path(COCOON_SOURCE_DIR) / "tests/data/runtime/snp_host";
  options.firmware.ovmf_amdsev = "/usr/share/ovmf/OVMF.fd";
  options.swtpm = "/usr/share/ovmf/OVMF.fd";  // present but not executable
  const HostReport report = detectHost(options);
  EXPECT_TRUE(report.support(TeeKind::kSnp).usable);
  EXPECT_THAT(failed(report, TeeKind::kVtpm),
              ElementsAre("swtpm /usr/share/ovmf/OVMF.fd is not executable"));
}

TEST(NodeLabels, NameEveryKindButNone) {
  EXPECT_THAT(nodeLabels(detect("snp_host")),
              ElementsAre(Pair("cocoon.io/kvm", "true"), Pair("cocoon.io/tee.sev", "true"),
                          Pair("cocoon.io/tee.sev-es", "true"), Pair("cocoon.io/tee.snp", "true"),
                          Pair("cocoon.io/tee.tdx", "false"), Pair("cocoon.io/tee.vtpm", "true")));
}

TEST(ChooseTee, AutoPicksTheBestUsable) {
  test::expectValue(chooseTee("auto", detect("snp_host")), TeeKind::kSnp);
  test::expectValue(chooseTee("auto", detect("tdx_host")), TeeKind::kTdx);
  test::expectValue(chooseTee("auto", detect("sev_disabled")), TeeKind::kVtpm);
}

TEST(ChooseTee, AutoNeverPicksNone) {
  test::expectError(chooseTee("auto", detect("plain_host")), Code::kFailedPrecondition,
                    "tee \"auto\": no TEE is usable on this host (snp: ");
  auto r = chooseTee("auto", detect("plain_host"));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("vtpm: swtpm /usr/bin/swtpm is missing); "
                                                      "ask for tee \"none\" by name"));
}

TEST(ChooseTee, NamedConfidentialKindNeverFallsBack) {
  test::expectError(chooseTee("snp", detect("sev_disabled")), Code::kFailedPrecondition,
                    "tee \"snp\" was requested but is not usable on this host (snp: kvm_amd "
                    "parameter sev_snp is N (disabled)); no other TEE is used instead");
  test::expectError(chooseTee("tdx", detect("snp_host")), Code::kFailedPrecondition,
                    "tee \"tdx\" was requested");
  test::expectValue(chooseTee("sev-es", detect("snp_host")), TeeKind::kSevEs);
}

TEST(ChooseTee, NoneOnlyByName) {
  test::expectValue(chooseTee("none", detect("plain_host")), TeeKind::kNone);
  test::expectError(chooseTee("sgx", detect("plain_host")), Code::kInvalidArgument,
                    "unknown TEE \"sgx\"");
}

}  // namespace
}  // namespace cocoon::runtime::tee
