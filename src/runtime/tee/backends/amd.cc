// SPDX-License-Identifier: Apache-2.0
// AMD backends: SEV-SNP (sev-snp-guest) and SEV / SEV-ES (sev-guest), as QEMU's
// docs/system/i386/amd-memory-encryption.rst and Kata's qemu_amd64.go launch them.
#include <fmt/format.h>

#include "common/encoding.h"
#include "measure/ovmf.h"
#include "measure/snp.h"
#include "runtime/tee/backends/backends.h"

namespace cocoon::runtime::tee::backends {
namespace {

// SNP ABI spec, MSG_REPORT_RSP: HOST_DATA is 32 bytes.
constexpr std::size_t kHostDataSize = 32;

class SnpBackend final : public TeeBackend {
 public:
  explicit SnpBackend(const TeeOptions& options) : options_(options) {}

  TeeKind kind() const override { return TeeKind::kSnp; }

  Result<QemuTeeConfig> configure(const LaunchRequest& request) const override {
    std::string object = fmt::format(
        "sev-snp-guest,id=snp,cbitpos={},reduced-phys-bits={},policy={:#x},kernel-hashes=on",
        options_.sev_cpuid.cbitpos, options_.sev_cpuid.reduced_phys_bits, options_.snp_policy);
    if (request.init_data) {
      object += ",host-data=" + base64Encode(initDataBinding(*request.init_data, kHostDataSize));
    }
    QemuTeeConfig config;
    config.kind = TeeKind::kSnp;
    config.machine_properties = {"confidential-guest-support=snp"};
    config.arguments = {"-object", std::move(object)};
    config.firmware = options_.firmware.ovmf_amdsev;
    return config;
  }

  Result<LaunchMeasurement> expectedMeasurement(const MeasurementInputs& inputs) const override {
    COCOON_ASSIGN_OR_RETURN(measure::OvmfImage ovmf, measure::parseOvmf(inputs.firmware));
    measure::SnpLaunchConfig launch;
    launch.vcpus = inputs.vcpus;
    COCOON_ASSIGN_OR_RETURN(launch.vcpu_signature, measure::cpuSignatureOf(inputs.vcpu_type));
    if (!inputs.kernel.empty()) {
      launch.kernel_hashes =
          measure::hashKernelInputs(inputs.kernel, inputs.initrd, inputs.cmdline);
    }
    COCOON_ASSIGN_OR_RETURN(measure::Sha384 digest, measure::snpLaunchDigest(ovmf, launch));
    return LaunchMeasurement{"measurement", Bytes(digest.begin(), digest.end())};
  }

 private:
  TeeOptions options_;
};

// SEV and SEV-ES have no field for host data: the init-data digest goes on the kernel
// command line, which kernel-hashes=on puts into the launch measurement.
class SevBackend final : public TeeBackend {
 public:
  SevBackend(TeeKind kind, const TeeOptions& options) : kind_(kind), options_(options) {}

  TeeKind kind() const override { return kind_; }

  Result<QemuTeeConfig> configure(const LaunchRequest& request) const override {
    const std::uint32_t policy =
        kind_ == TeeKind::kSevEs ? options_.sev_es_policy : options_.sev_policy;
    QemuTeeConfig config;
    config.kind = kind_;
    config.machine_properties = {"confidential-guest-support=sev"};
    config.arguments = {
        "-object",
        fmt::format("sev-guest,id=sev,cbitpos={},reduced-phys-bits={},policy={:#x},"
                    "kernel-hashes=on",
                    options_.sev_cpuid.cbitpos, options_.sev_cpuid.reduced_phys_bits, policy)};
    config.firmware = options_.firmware.ovmf_amdsev;
    if (request.init_data) {
      config.kernel_parameters.push_back(initDataKernelParameter(*request.init_data));
    }
    return config;
  }

  Result<LaunchMeasurement> expectedMeasurement(
      const MeasurementInputs& /*inputs*/) const override {
    return noMeasurement(kind_, "SEV measurements are keyed by the platform's TIK");
  }

 private:
  TeeKind kind_;
  TeeOptions options_;
};

}  // namespace

std::unique_ptr<TeeBackend> makeSnpBackend(const TeeOptions& options) {
  return std::make_unique<SnpBackend>(options);
}

std::unique_ptr<TeeBackend> makeSevBackend(TeeKind kind, const TeeOptions& options) {
  return std::make_unique<SevBackend>(kind, options);
}

}  // namespace cocoon::runtime::tee::backends
