// SPDX-License-Identifier: Apache-2.0
// Intel TDX backend: the tdx-guest QOM object (QEMU qapi/qom.json TdxGuestProperties)
// with a split irqchip and TDVF, as Kata's qemu_amd64.go launches it.
#include <fmt/format.h>

#include "common/encoding.h"
#include "measure/ovmf.h"
#include "measure/tdx.h"
#include "runtime/tee/backends/backends.h"

namespace cocoon::runtime::tee::backends {
namespace {

// TDX module ABI, TDREPORT: MRCONFIGID is 48 bytes.
constexpr std::size_t kMrConfigIdSize = 48;

class TdxBackend final : public TeeBackend {
 public:
  explicit TdxBackend(const TeeOptions& options) : options_(options) {}

  TeeKind kind() const override { return TeeKind::kTdx; }

  Result<QemuTeeConfig> configure(const LaunchRequest& request) const override {
    // quote-generation-socket is a SocketAddress, which only the JSON form of -object
    // can express; base64 needs no JSON escaping.
    std::string object = R"({"qom-type":"tdx-guest","id":"tdx")";
    if (request.init_data) {
      object += fmt::format(R"(,"mrconfigid":"{}")",
                            base64Encode(initDataBinding(*request.init_data, kMrConfigIdSize)));
    }
    object +=
        fmt::format(R"(,"quote-generation-socket":{{"type":"vsock","cid":"{}","port":"{}"}}}})",
                    options_.qgs_vsock_cid, options_.qgs_vsock_port);
    QemuTeeConfig config;
    config.kind = TeeKind::kTdx;
    // TDX guests need the IOAPIC in userspace (Linux Documentation/virt/kvm/x86/intel-tdx.rst).
    config.machine_properties = {"kernel-irqchip=split", "confidential-guest-support=tdx"};
    config.arguments = {"-object", std::move(object)};
    config.firmware = options_.firmware.tdvf;
    return config;
  }

  Result<LaunchMeasurement> expectedMeasurement(const MeasurementInputs& inputs) const override {
    COCOON_ASSIGN_OR_RETURN(measure::OvmfImage tdvf, measure::parseOvmf(inputs.firmware));
    COCOON_ASSIGN_OR_RETURN(measure::Sha384 mrtd, measure::tdxMrtd(tdvf));
    return LaunchMeasurement{"mr_td", Bytes(mrtd.begin(), mrtd.end())};
  }

 private:
  TeeOptions options_;
};

}  // namespace

std::unique_ptr<TeeBackend> makeTdxBackend(const TeeOptions& options) {
  return std::make_unique<TdxBackend>(options);
}

}  // namespace cocoon::runtime::tee::backends
