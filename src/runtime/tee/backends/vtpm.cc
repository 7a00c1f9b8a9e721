// SPDX-License-Identifier: Apache-2.0
// vtpm (swtpm-backed TPM 2.0, QEMU docs/specs/tpm.rst "The QEMU TPM emulator device")
// and none: measured-but-not-confidential and development launches.
#include <fmt/format.h>

#include "runtime/tee/backends/backends.h"

namespace cocoon::runtime::tee::backends {
namespace {

constexpr std::size_t kVtpmDigestSize = 32;

class VtpmBackend final : public TeeBackend {
 public:
  explicit VtpmBackend(const TeeOptions& options) : options_(options) {}

  TeeKind kind() const override { return TeeKind::kVtpm; }

  Result<QemuTeeConfig> configure(const LaunchRequest& request) const override {
    if (request.state_dir.empty()) {
      return fail(Code::kInvalidArgument, "vtpm: the launch request has no state directory");
    }
    // The verifier (src/verify/tpm) expects PCR 8 = SHA-256(zeros || digest) in the
    // SHA-256 bank: a 32-byte digest.
    if (request.init_data && request.init_data->value.size() != kVtpmDigestSize) {
      return fail(Code::kInvalidArgument,
                  "vtpm: the init-data digest is {} ({} bytes); PCR {} binds a sha256 digest",
                  crypto::digestName(request.init_data->algorithm), request.init_data->value.size(),
                  kInitDataPcr);
    }
    const std::string socket = (request.state_dir / "swtpm.sock").string();
    QemuTeeConfig config;
    config.kind = TeeKind::kVtpm;
    // --terminate: swtpm exits when QEMU closes the data channel, so nothing outlives
    // the VM.
    config.helper_command = {options_.swtpm.string(),
                             "socket",
                             "--tpm2",
                             "--tpmstate",
                             "dir=" + request.state_dir.string(),
                             "--ctrl",
                             "type=unixio,path=" + socket,
                             "--terminate"};
    config.arguments = {"-chardev", "socket,id=chrtpm,path=" + qemuEscape(socket),
                        "-tpmdev",  "emulator,id=tpm0,chardev=chrtpm",
                        "-device",  "tpm-tis,tpmdev=tpm0"};
    if (request.init_data) {
      config.kernel_parameters.push_back(initDataKernelParameter(*request.init_data));
    }
    if (!options_.swtpm_state_template.empty()) {
      config.helper_state_template = options_.swtpm_state_template;
      config.helper_state_dir = request.state_dir;
    }
    return config;
  }

  Result<LaunchMeasurement> expectedMeasurement(
      const MeasurementInputs& /*inputs*/) const override {
    return noMeasurement(TeeKind::kVtpm, "a vTPM reports PCRs, which the guest extends at boot");
  }

 private:
  TeeOptions options_;
};

class NoneBackend final : public TeeBackend {
 public:
  TeeKind kind() const override { return TeeKind::kNone; }

  Result<QemuTeeConfig> configure(const LaunchRequest& request) const override {
    QemuTeeConfig config;
    config.kind = TeeKind::kNone;
    if (request.init_data) {
      config.kernel_parameters.push_back(initDataKernelParameter(*request.init_data));
    }
    return config;
  }

  Result<LaunchMeasurement> expectedMeasurement(
      const MeasurementInputs& /*inputs*/) const override {
    return noMeasurement(TeeKind::kNone, "nothing is measured without a TEE");
  }
};

}  // namespace

std::unique_ptr<TeeBackend> makeVtpmBackend(const TeeOptions& options) {
  return std::make_unique<VtpmBackend>(options);
}

std::unique_ptr<TeeBackend> makeNoneBackend() {
  return std::make_unique<NoneBackend>();
}

}  // namespace cocoon::runtime::tee::backends
