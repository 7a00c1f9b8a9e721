// SPDX-License-Identifier: Apache-2.0
// TdxAttester: configfs-tsm (tdx_guest provider), or TDREPORT + QGS over vsock.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "attest/device/configfs_tsm.h"
#include "attest/tdx.h"
#include "attest/tdx/messages.h"
#include "attest/tdx/qgs.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/log.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::attest {
namespace {

constexpr std::size_t kMaxCcelBytes = 16 << 20;

class TdxAttester : public Attester {
 public:
  TdxAttester(TdxAttesterConfig config, TeeInterface via) : config_(std::move(config)), via_(via) {}
  kbs_protocol::Tee tee() const override { return kbs_protocol::Tee::kTdx; }

  Result<json::Json> evidence(ByteSpan report_data) override {
    if (report_data.size() > tdx::kReportDataSize) {
      return fail(Code::kInvalidArgument, "TDX report data is {} bytes, at most {} fit",
                  report_data.size(), tdx::kReportDataSize);
    }
    Bytes padded(report_data.begin(), report_data.end());
    padded.resize(tdx::kReportDataSize, 0);
    Bytes quote;
    if (via_ == TeeInterface::kConfigfsTsm) {
      device::TsmRequest request{"tdx_guest", padded, std::nullopt, false};
      COCOON_ASSIGN_OR_RETURN(device::TsmReport r, device::generateTsmReport(config_.env, request));
      quote = std::move(r.outblob);
    } else {
      COCOON_ASSIGN_OR_RETURN(quote, quoteFromDevice(padded));
    }
    auto ccel = readFile(config_.env.ccelTable(), kMaxCcelBytes);
    if (!ccel) {
      COCOON_LOG(kDebug, "attest", "no CC event log in the TDX evidence: {}", ccel.error());
      return tdxEvidenceJson(quote, std::nullopt);
    }
    return tdxEvidenceJson(quote, ByteSpan(*ccel));
  }

 private:
  Result<Bytes> quoteFromDevice(ByteSpan report_data) {
    const auto path = config_.env.tdxGuestDevice();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      return fail(errnoError(err, "opening " + path.string()));
    }
    // struct tdx_report_req: reportdata[64] in, tdreport[1024] out.
    Bytes request(report_data.begin(), report_data.end());
    request.resize(tdx::kReportDataSize + tdx::kTdReportSize, 0);
    if (::ioctl(fd.get(), tdx::kTdxCmdGetReport0, request.data()) != 0) {
      const int err = errno;
      return fail(Code::kUnavailable, "TDX_CMD_GET_REPORT0 on {}: {}", path.string(),
                  errnoError(err, "ioctl").message);
    }
    ByteSpan td_report = ByteSpan(request).subspan(tdx::kReportDataSize);
    COCOON_ASSIGN_OR_RETURN(tdx::TdReport parsed, tdx::parseTdReport(td_report));
    if (!std::equal(parsed.report_data.begin(), parsed.report_data.end(), report_data.begin())) {
      return fail(Code::kInternal, "the TDREPORT does not carry the report data we asked for");
    }
    COCOON_ASSIGN_OR_RETURN(Bytes answer, tdx::askQgsOverVsock(config_.qgs_cid, config_.qgs_port,
                                                               tdx::buildQgsQuoteRequest(td_report),
                                                               config_.qgs_timeout));
    return tdx::parseQgsQuoteResponse(answer);
  }

  TdxAttesterConfig config_;
  TeeInterface via_;
};

}  // namespace

Result<json::Json> tdxEvidenceJson(ByteSpan quote, std::optional<ByteSpan> ccel) {
  json::Json eventlog = nullptr;
  if (ccel) {
    COCOON_ASSIGN_OR_RETURN(Bytes trimmed, tdx::trimCcel(*ccel));
    eventlog = base64Encode(trimmed);
  }
  return json::Json{{"cc_eventlog", std::move(eventlog)}, {"quote", base64Encode(quote)}};
}

Result<std::unique_ptr<Attester>> createTdxAttester(const TdxAttesterConfig& config) {
  COCOON_ASSIGN_OR_RETURN(TeeInterface via,
                          device::chooseTeeInterface(config.env, config.via, "tdx_guest",
                                                     config.env.tdxGuestDevice(), "tdx"));
  return std::make_unique<TdxAttester>(config, via);
}

}  // namespace cocoon::attest
