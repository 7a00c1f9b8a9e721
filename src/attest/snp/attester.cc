// SPDX-License-Identifier: Apache-2.0
// SnpAttester: configfs-tsm (sev_guest provider) or the sev-guest driver's ioctls.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "attest/device/byte_writer.h"
#include "attest/device/configfs_tsm.h"
#include "attest/snp.h"
#include "attest/snp/report.h"
#include "common/byte_reader.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::attest {
namespace {

// SEV_FW_BLOB_MAX_SIZE of the sev-guest driver: the largest certs buffer it takes.
constexpr std::size_t kMaxCertsBytes = 0x4000;

struct DeviceReport {
  Bytes report;
  std::optional<Bytes> certs;
};

// One sev-guest ioctl. The request structures carry user-space addresses, so they are
// built (LeWriter) at the call, with our buffers' addresses, in the host's byte order
// (x86-64: little endian, as the writer emits).
class SevGuest {
 public:
  explicit SevGuest(UniqueFd fd) : fd_(std::move(fd)) {}

  // SNP_GET_EXT_REPORT with a certs buffer; the host may ask for a larger one
  // (kVmmErrorInvalidLength, new size in certs_len), which is retried once.
  Result<DeviceReport> extendedReport(ByteSpan report_data, std::uint32_t vmpl) {
    std::size_t certs_size = kMaxCertsBytes;
    for (int round = 0; round < 2; ++round) {
      Bytes certs(certs_size, 0);
      Bytes request = device::LeWriter()
                          .bytes(snp::buildReportRequest(report_data, vmpl))
                          .u64(reinterpret_cast<std::uintptr_t>(certs.data()))
                          .u32(static_cast<std::uint32_t>(certs.size()))
                          .zeros(4)
                          .take();
      Bytes response(snp::kResponseSize, 0);
      std::uint64_t exitinfo2 = 0;
      auto status = call(snp::kSnpGetExtReport, request, response, exitinfo2);
      if (!status) {
        ByteReader r(ByteSpan(request).subspan(104, 4));
        const std::uint32_t wanted = *r.readU32Le();
        if ((exitinfo2 >> 32) == snp::kVmmErrorInvalidLength && round == 0 && wanted > certs_size &&
            wanted <= 16 * kMaxCertsBytes) {
          certs_size = wanted;
          continue;
        }
        return fail(std::move(status).error());
      }
      COCOON_ASSIGN_OR_RETURN(Bytes report, snp::parseReportResponse(response));
      return DeviceReport{std::move(report), std::move(certs)};
    }
    return fail(Code::kUnavailable, "SNP_GET_EXT_REPORT: the host kept asking for more space");
  }

  Result<DeviceReport> report(ByteSpan report_data, std::uint32_t vmpl) {
    Bytes request = snp::buildReportRequest(report_data, vmpl);
    Bytes response(snp::kResponseSize, 0);
    std::uint64_t exitinfo2 = 0;
    COCOON_TRY(call(snp::kSnpGetReport, request, response, exitinfo2));
    COCOON_ASSIGN_OR_RETURN(Bytes report, snp::parseReportResponse(response));
    return DeviceReport{std::move(report), std::nullopt};
  }

 private:
  // struct snp_guest_request_ioctl: msg_version u8 (1), pad[7], req_data u64, resp_data u64,
  // exitinfo2 u64 (fw_error u32, vmm_error u32).
  Status call(unsigned long op, Bytes& request, Bytes& response, std::uint64_t& exitinfo2) {
    Bytes guest_request = device::LeWriter()
                              .u8(1)
                              .zeros(7)
                              .u64(reinterpret_cast<std::uintptr_t>(request.data()))
                              .u64(reinterpret_cast<std::uintptr_t>(response.data()))
                              .u64(0)
                              .take();
    const int rc = ::ioctl(fd_.get(), op, guest_request.data());
    const int err = errno;
    ByteReader r(ByteSpan(guest_request).subspan(24, 8));
    exitinfo2 = *r.readU64Le();
    if (rc != 0) {
      return fail(errnoError(err, fmt::format("sev-guest ioctl {:#x} (fw_error {:#x}, vmm_error "
                                              "{:#x})",
                                              op, exitinfo2 & 0xffffffffU, exitinfo2 >> 32))
                      .addContext("SNP report"));
    }
    return okStatus();
  }
  UniqueFd fd_;
};

class SnpAttester : public Attester {
 public:
  SnpAttester(SnpAttesterConfig config, TeeInterface via) : config_(std::move(config)), via_(via) {}
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kSnp; }

  Result<json::Json> evidence(ByteSpan report_data) override {
    if (report_data.size() > snp::kReportDataSize) {
      return fail(Code::kInvalidArgument, "SNP report data is {} bytes, at most {} fit",
                  report_data.size(), snp::kReportDataSize);
    }
    Bytes padded(report_data.begin(), report_data.end());
    padded.resize(snp::kReportDataSize, 0);
    DeviceReport got;
    if (via_ == TeeInterface::kConfigfsTsm) {
      device::TsmRequest request{"sev_guest", padded, config_.vmpl, true};
      COCOON_ASSIGN_OR_RETURN(device::TsmReport r, device::generateTsmReport(config_.env, request));
      got = DeviceReport{std::move(r.outblob), std::move(r.auxblob)};
    } else {
      COCOON_ASSIGN_OR_RETURN(got, fromDevice(padded));
    }
    std::optional<ByteSpan> table;
    if (got.certs) {
      table = ByteSpan(*got.certs);
    }
    return snpEvidenceJson(got.report, table);
  }

 private:
  Result<DeviceReport> fromDevice(ByteSpan report_data) {
    const auto path = config_.env.sevGuestDevice();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      return fail(errnoError(err, "opening " + path.string()));
    }
    SevGuest device(std::move(fd));
    auto extended = device.extendedReport(report_data, config_.vmpl);
    if (extended) {
      return extended;
    }
    // Hosts without certificate support refuse the extended request; a plain report is
    // still verifiable with a VCEK the KBS fetches or caches itself.
    return device.report(report_data, config_.vmpl);
  }

  SnpAttesterConfig config_;
  TeeInterface via_;
};

}  // namespace

Result<json::Json> snpEvidenceJson(ByteSpan report, std::optional<ByteSpan> cert_table) {
  COCOON_ASSIGN_OR_RETURN(json::Json report_json, snp::reportToJson(report));
  json::Json chain = nullptr;
  if (cert_table && !cert_table->empty()) {
    COCOON_ASSIGN_OR_RETURN(std::vector<snp::CertTableEntry> entries,
                            snp::parseCertTable(*cert_table));
    if (!entries.empty()) {
      chain = json::Json::array();
      for (const auto& e : entries) {
        json::Json data = json::Json::array();
        for (std::uint8_t b : e.data) {
          data.push_back(b);
        }
        chain.push_back({{"cert_type", snp::certTypeJson(e.guid)}, {"data", std::move(data)}});
      }
    }
  }
  return json::Json{{"attestation_report", std::move(report_json)}, {"cert_chain", chain}};
}

Result<std::unique_ptr<Attester>> createSnpAttester(const SnpAttesterConfig& config) {
  if (config.vmpl > 3) {
    return fail(Code::kInvalidArgument, "SNP VMPL {} is not 0..3", config.vmpl);
  }
  COCOON_ASSIGN_OR_RETURN(TeeInterface via,
                          device::chooseTeeInterface(config.env, config.via, "sev_guest",
                                                     config.env.sevGuestDevice(), "snp"));
  return std::make_unique<SnpAttester>(config, via);
}

}  // namespace cocoon::attest
