// SPDX-License-Identifier: Apache-2.0
// TDX quote claims with trustee's names and encodings.
#include "verify/tdx/claims.h"

#include "common/encoding.h"

namespace cocoon::verify::tdx {
namespace {

std::string hexLe16(std::uint16_t v) {
  const std::array<std::uint8_t, 2> b = {static_cast<std::uint8_t>(v),
                                         static_cast<std::uint8_t>(v >> 8)};
  return hexEncode(b);
}

std::string hexLe32(std::uint32_t v) {
  const std::array<std::uint8_t, 4> b = {
      static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
      static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  return hexEncode(b);
}

}  // namespace

json::Json quoteClaims(const TdxQuote& q) {
  json::Json c = json::Json::object();
  const QuoteHeader& h = q.header;
  const TdReportBody& b = q.body;
  c["tdx.quote.header.version"] = hexLe16(h.version);
  c["tdx.quote.header.att_key_type"] = hexLe16(h.att_key_type);
  c["tdx.quote.header.tee_type"] = hexLe32(h.tee_type);
  c["tdx.quote.header.reserved"] = hexLe16(h.qe_svn) + hexLe16(h.pce_svn);
  c["tdx.quote.header.vendor_id"] = hexEncode(h.qe_vendor_id);
  c["tdx.quote.header.user_data"] = hexEncode(h.user_data);
  if (q.body_type) {
    c["tdx.quote.type"] = hexLe16(*q.body_type);
    c["tdx.quote.size"] =
        hexLe32(static_cast<std::uint32_t>(b.tee_tcb_svn2 ? kTdReport15Size : kTdReport10Size));
  }
  c["tdx.quote.body.tcb_svn"] = hexEncode(b.tee_tcb_svn);
  c["tdx.quote.body.mr_seam"] = hexEncode(b.mr_seam);
  c["tdx.quote.body.mrsigner_seam"] = hexEncode(b.mr_signer_seam);
  c["tdx.quote.body.seam_attributes"] = hexEncode(b.seam_attributes);
  c["tdx.quote.body.td_attributes"] = hexEncode(b.td_attributes);
  c["tdx.quote.body.xfam"] = hexEncode(b.xfam);
  c["tdx.quote.body.mr_td"] = hexEncode(b.mr_td);
  c["tdx.quote.body.mr_config_id"] = hexEncode(b.mr_config_id);
  c["tdx.quote.body.mr_owner"] = hexEncode(b.mr_owner);
  c["tdx.quote.body.mr_owner_config"] = hexEncode(b.mr_owner_config);
  for (std::size_t i = 0; i < b.rtmr.size(); ++i) {
    c[fmt::format("tdx.quote.body.rtmr_{}", i)] = hexEncode(b.rtmr[i]);
  }
  c["tdx.quote.body.report_data"] = hexEncode(b.report_data);
  if (b.tee_tcb_svn2) {
    c["tdx.quote.body.tee_tcb_svn2"] = hexEncode(*b.tee_tcb_svn2);
    c["tdx.quote.body.mr_servicetd"] = hexEncode(*b.mr_servicetd);
  }
  std::uint64_t attrs = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    attrs |= std::uint64_t{b.td_attributes[i]} << (8 * i);
  }
  // TDX module ABI, TD ATTRIBUTES bits.
  c["tdx.td_attributes.debug"] = (attrs & 1) != 0;
  c["tdx.td_attributes.septve_disable"] = (attrs >> 28 & 1) != 0;
  c["tdx.td_attributes.protection_keys"] = (attrs >> 30 & 1) != 0;
  c["tdx.td_attributes.key_locker"] = (attrs >> 31 & 1) != 0;
  c["tdx.td_attributes.perfmon"] = (attrs >> 63 & 1) != 0;
  c["report_data"] = hexEncode(b.report_data);
  c["init_data"] = hexEncode(b.mr_config_id);
  return c;
}

}  // namespace cocoon::verify::tdx
