// SPDX-License-Identifier: Apache-2.0
// Ownership wrappers over tpm2-tss ESAPI: the TCTI + ESYS context, transient objects that
// are flushed when dropped, and Esys_Free'd outputs. tpm2-tss is loaded at run time
// (tss2_library.h): every call goes through the context's table.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "attest/tpm/tss2_library.h"
#include "common/result.h"

namespace cocoon::attest::tpm {

// kUnavailable naming the command and the TSS decoding of `rc`; success for TSS2_RC_SUCCESS.
Status check(const Tss2Library& tss, TSS2_RC rc, std::string_view command);

// Frees memory that ESAPI returned (Esys_Free).
struct EsysFree {
  decltype(&Esys_Free) free = nullptr;
  void operator()(void* p) const { free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// An ESYS_CONTEXT over a TCTI loaded from a configuration string. Movable, not copyable,
// not thread-safe.
class EsysContext {
 public:
  // Loads tpm2-tss on first use. kUnavailable when it or the TCTI cannot be loaded, or the
  // TCTI cannot connect.
  static Result<EsysContext> open(const std::string& tcti);
  EsysContext(EsysContext&& other) noexcept;
  EsysContext& operator=(EsysContext&&) = delete;
  EsysContext(const EsysContext&) = delete;
  ~EsysContext();

  ESYS_CONTEXT* get() const { return ctx_; }
  const Tss2Library& tss() const { return *tss_; }
  Status check(TSS2_RC rc, std::string_view command) const {
    return tpm::check(*tss_, rc, command);
  }
  // Takes ownership of an ESAPI output (null is fine).
  template <class T>
  EsysPtr<T> own(T* output) const {
    return EsysPtr<T>(output, EsysFree{tss_->free});
  }

 private:
  EsysContext(const Tss2Library* tss, TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* ctx)
      : tss_(tss), tcti_(tcti), ctx_(ctx) {}
  const Tss2Library* tss_ = nullptr;
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* ctx_ = nullptr;
};

// A loaded transient object, flushed on destruction. REQUIRES: the context outlives it.
class Transient {
 public:
  Transient(const EsysContext& ctx, ESYS_TR handle)
      : flush_(ctx.tss().flush_context), ctx_(ctx.get()), handle_(handle) {}
  Transient(Transient&& other) noexcept
      : flush_(other.flush_),
        ctx_(other.ctx_),
        handle_(std::exchange(other.handle_, ESYS_TR_NONE)) {}
  Transient& operator=(Transient&&) = delete;
  Transient(const Transient&) = delete;
  ~Transient();

  ESYS_TR handle() const { return handle_; }

 private:
  decltype(&Esys_FlushContext) flush_;
  ESYS_CONTEXT* ctx_;
  ESYS_TR handle_;
};

}  // namespace cocoon::attest::tpm
