// SPDX-License-Identifier: Apache-2.0
// ESAPI context and object lifetimes.
#include "attest/tpm/esys.h"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

namespace cocoon::attest::tpm {

Status check(TSS2_RC rc, std::string_view command) {
  if (rc == TSS2_RC_SUCCESS) {
    return okStatus();
  }
  return fail(Code::kUnavailable, "{} failed: {} ({:#x})", command, Tss2_RC_Decode(rc), rc);
}

Result<EsysContext> EsysContext::open(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* t = nullptr;
  COCOON_TRY(
      check(Tss2_TctiLdr_Initialize(tcti.c_str(), &t), fmt::format("loading TCTI '{}'", tcti)));
  ESYS_CONTEXT* ctx = nullptr;
  if (auto st = check(Esys_Initialize(&ctx, t, nullptr), "Esys_Initialize"); !st) {
    Tss2_TctiLdr_Finalize(&t);
    return fail(st.error());
  }
  return EsysContext(t, ctx);
}

EsysContext::EsysContext(EsysContext&& other) noexcept
    : tcti_(std::exchange(other.tcti_, nullptr)), ctx_(std::exchange(other.ctx_, nullptr)) {}

EsysContext::~EsysContext() {
  if (ctx_ != nullptr) {
    Esys_Finalize(&ctx_);
  }
  if (tcti_ != nullptr) {
    Tss2_TctiLdr_Finalize(&tcti_);
  }
}

Transient::~Transient() {
  if (handle_ != ESYS_TR_NONE) {
    // Without a resource manager a leaked transient object holds one of the TPM's few
    // object slots until the next reset; a failure here leaves nothing else to do.
    (void)Esys_FlushContext(ctx_, handle_);
  }
}

}  // namespace cocoon::attest::tpm
