// SPDX-License-Identifier: Apache-2.0
// TDX TCB status from TCB info v3 and QE identity v2 (QVL TcbLevelCheck, TdxModuleCheck and
// their status convergence).
#include <algorithm>

#include "common/encoding.h"
#include "verify/tdx/collateral.h"

namespace cocoon::verify::tdx {
namespace {

bool componentsAtLeast(const std::array<std::uint8_t, 16>& have,
                       const std::array<std::uint8_t, 16>& level, std::size_t from) {
  for (std::size_t i = from; i < have.size(); ++i) {
    if (have[i] < level[i]) {
      return false;
    }
  }
  return true;
}

template <std::size_t N>
bool maskedEqual(const std::array<std::uint8_t, N>& value, const std::array<std::uint8_t, N>& want,
                 const std::array<std::uint8_t, N>& mask) {
  for (std::size_t i = 0; i < N; ++i) {
    if ((value[i] & mask[i]) != (want[i] & mask[i])) {
      return false;
    }
  }
  return true;
}

std::string firstIsvStatus(const std::vector<IsvLevel>& levels, std::uint16_t isvsvn) {
  for (const IsvLevel& l : levels) {
    if (l.isvsvn <= isvsvn) {
      return l.status;
    }
  }
  return std::string(kOutOfDate);  // below every level Intel lists
}

// QVL's convergence of a component status (module or QE) into the platform status.
std::string converge(std::string platform, std::string_view component) {
  if (component == kRevoked) {
    return std::string(kRevoked);
  }
  if (component != kOutOfDate) {
    return platform;
  }
  if (platform == kUpToDate || platform == "SWHardeningNeeded") {
    return std::string(kOutOfDate);
  }
  if (platform == "ConfigurationNeeded" || platform == "ConfigurationAndSWHardeningNeeded") {
    return "OutOfDateConfigurationNeeded";
  }
  return platform;
}

// TDX DCAP QVL TdxModuleCheck: the TDX module identity and its TCB level.
Result<std::string> moduleStatus(const TcbInfo& tcb, const TdReportBody& body) {
  const std::uint8_t isvsvn = body.tee_tcb_svn[0];
  const std::uint8_t version = body.tee_tcb_svn[1];
  if (version == 0) {
    if (body.mr_signer_seam != tcb.module_mrsigner ||
        !maskedEqual(body.seam_attributes, tcb.module_attributes, tcb.module_attributes_mask)) {
      return fail(Code::kPermissionDenied,
                  "TDX module mrsigner/attributes do not match TCB info tdxModule");
    }
    return std::string();
  }
  const std::string id = fmt::format("TDX_{:02X}", version);
  const auto it = std::find_if(tcb.module_identities.begin(), tcb.module_identities.end(),
                               [&](const TdxModuleIdentity& m) { return m.id == id; });
  if (it == tcb.module_identities.end()) {
    return fail(Code::kNotFound, "TCB info has no TDX module identity {}", id);
  }
  if (body.mr_signer_seam != it->mrsigner ||
      !maskedEqual(body.seam_attributes, it->attributes, it->attributes_mask)) {
    return fail(Code::kPermissionDenied, "TDX module mrsigner/attributes do not match {}", id);
  }
  for (const IsvLevel& l : it->levels) {
    if (l.isvsvn <= isvsvn) {
      return l.status;
    }
  }
  return fail(Code::kNotFound, "TDX module {} isvsvn {} is below every level of {}", id, isvsvn,
              id);
}

}  // namespace

Result<TcbEvaluation> evaluateTcb(const TcbInfo& tcb, const QeIdentity& qe,
                                  const std::array<std::uint8_t, 16>& pck_components,
                                  std::uint16_t pck_pce_svn, const TdReportBody& body,
                                  const EnclaveReport& qe_report) {
  // QE identity (QVL EnclaveIdentityV2 checks).
  if (qe_report.mr_signer != qe.mrsigner) {
    return fail(Code::kPermissionDenied, "QE report mrsigner {} is not the QE identity's {}",
                hexEncode(qe_report.mr_signer), hexEncode(qe.mrsigner));
  }
  if (qe_report.isv_prod_id != qe.isvprodid) {
    return fail(Code::kPermissionDenied, "QE report isvprodid {} is not the QE identity's {}",
                qe_report.isv_prod_id, qe.isvprodid);
  }
  if ((qe_report.misc_select & qe.miscselect_mask) != (qe.miscselect & qe.miscselect_mask)) {
    return fail(Code::kPermissionDenied, "QE report miscselect {:#010x} does not match {:#010x}",
                qe_report.misc_select, qe.miscselect);
  }
  if (!maskedEqual(qe_report.attributes, qe.attributes, qe.attributes_mask)) {
    return fail(Code::kPermissionDenied, "QE report attributes {} do not match {}",
                hexEncode(qe_report.attributes), hexEncode(qe.attributes));
  }
  TcbEvaluation out;
  out.qe_status = firstIsvStatus(qe.levels, qe_report.isv_svn);

  // TDX TCB level: tee_tcb_svn bytes 0-1 are the module SVN and version when the version
  // is non-zero; they are judged by the module identity instead.
  const std::size_t from = body.tee_tcb_svn[1] > 0 ? 2 : 0;
  const auto level = std::find_if(tcb.levels.begin(), tcb.levels.end(), [&](const TcbLevel& l) {
    return componentsAtLeast(pck_components, l.sgx_components, 0) && pck_pce_svn >= l.pce_svn &&
           componentsAtLeast(body.tee_tcb_svn, l.tdx_components, from);
  });
  if (level == tcb.levels.end()) {
    return fail(Code::kNotFound,
                "no TCB level of FMSPC {} matches this platform (TCB not "
                "supported)",
                hexEncode(tcb.fmspc));
  }
  out.advisory_ids = level->advisory_ids;
  COCOON_ASSIGN_OR_RETURN(out.tdx_module_status, moduleStatus(tcb, body));
  out.status = converge(level->status, out.tdx_module_status);
  out.status = converge(out.status, out.qe_status);
  return out;
}

}  // namespace cocoon::verify::tdx
