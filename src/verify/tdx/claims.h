// SPDX-License-Identifier: Apache-2.0
// The claims of a TDX quote, named and encoded as the CoCo trustee tdx verifier names them
// (deps/verifier/src/tdx/claims.rs), flattened to cocoon's "tdx.<path>" keys.
#pragma once

#include "json/json.h"
#include "verify/tdx/quote.h"

namespace cocoon::verify::tdx {

// tdx.quote.header.{version,att_key_type,tee_type,reserved,vendor_id,user_data},
// tdx.quote.type and tdx.quote.size (v5), tdx.quote.body.{tcb_svn,mr_seam,mrsigner_seam,
// seam_attributes,td_attributes,xfam,mr_td,mr_config_id,mr_owner,mr_owner_config,
// rtmr_0..rtmr_3,report_data} (+ tee_tcb_svn2, mr_servicetd for TDX 1.5) as lower-case hex
// of the bytes as they appear in the quote (so 16-bit fields read little-endian, "0400"),
// tdx.td_attributes.{debug,septve_disable,protection_keys,key_locker,perfmon} as booleans,
// and the TEE-neutral report_data and init_data (mr_config_id). Never fails.
json::Json quoteClaims(const TdxQuote& quote);

}  // namespace cocoon::verify::tdx
