// SPDX-License-Identifier: Apache-2.0
// ESAPI context and object lifetimes.
#include "attest/tpm/esys.h"

namespace cocoon::attest::tpm {

Status check(const Tss2Library& tss, TSS2_RC rc, std::string_view command) {
  if (rc == TSS2_RC_SUCCESS) {
    return okStatus();
  }
  return fail(Code::kUnavailable, "{} failed: {} ({:#x})", command, tss.decode_rc(rc), rc);
}

Result<EsysContext> EsysContext::open(const std::string& tcti) {
  COCOON_ASSIGN_OR_RETURN(const Tss2Library* tss, loadTss2Library());
  TSS2_TCTI_CONTEXT* t = nullptr;
  COCOON_TRY(tpm::check(*tss, tss->tctildr_initialize(tcti.c_str(), &t),
                        fmt::format("loading TCTI '{}'", tcti)));
  ESYS_CONTEXT* ctx = nullptr;
  if (auto st = tpm::check(*tss, tss->initialize(&ctx, t, nullptr), "Esys_Initialize"); !st) {
    tss->tctildr_finalize(&t);
    return fail(st.error());
  }
  return EsysContext(tss, t, ctx);
}

EsysContext::EsysContext(EsysContext&& other) noexcept
    : tss_(other.tss_),
      tcti_(std::exchange(other.tcti_, nullptr)),
      ctx_(std::exchange(other.ctx_, nullptr)) {}

EsysContext::~EsysContext() {
  if (ctx_ != nullptr) {
    tss_->finalize(&ctx_);
  }
  if (tcti_ != nullptr) {
    tss_->tctildr_finalize(&tcti_);
  }
}

Transient::~Transient() {
  if (handle_ != ESYS_TR_NONE) {
    // Without a resource manager a leaked transient object holds one of the TPM's few
    // object slots until the next reset; a failure here leaves nothing else to do.
    (void)flush_(ctx_, handle_);
  }
}

}  // namespace cocoon::attest::tpm
