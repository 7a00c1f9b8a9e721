// SPDX-License-Identifier: Apache-2.0
// Ownership wrappers over tpm2-tss ESAPI: the TCTI + ESYS context, transient objects that
// are flushed when dropped, and Esys_Free'd outputs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <tss2/tss2_esys.h>

#include "common/result.h"

namespace cocoon::attest::tpm {

// kUnavailable naming the command and the TSS decoding of `rc`; success for TSS2_RC_SUCCESS.
Status check(TSS2_RC rc, std::string_view command);

// An ESYS_CONTEXT over a TCTI loaded from a configuration string. Movable, not copyable,
// not thread-safe.
class EsysContext {
 public:
  // kUnavailable when the TCTI cannot be loaded or connected.
  static Result<EsysContext> open(const std::string& tcti);
  EsysContext(EsysContext&& other) noexcept;
  EsysContext& operator=(EsysContext&&) = delete;
  EsysContext(const EsysContext&) = delete;
  ~EsysContext();

  ESYS_CONTEXT* get() const { return ctx_; }

 private:
  EsysContext(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* ctx) : tcti_(tcti), ctx_(ctx) {}
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* ctx_ = nullptr;
};

// A loaded transient object, flushed on destruction. REQUIRES: the context outlives it.
class Transient {
 public:
  Transient(ESYS_CONTEXT* ctx, ESYS_TR handle) : ctx_(ctx), handle_(handle) {}
  Transient(Transient&& other) noexcept
      : ctx_(other.ctx_), handle_(std::exchange(other.handle_, ESYS_TR_NONE)) {}
  Transient& operator=(Transient&&) = delete;
  Transient(const Transient&) = delete;
  ~Transient();

  ESYS_TR handle() const { return handle_; }

 private:
  ESYS_CONTEXT* ctx_;
  ESYS_TR handle_;
};

// Owns memory that ESAPI returned (Esys_Free).
struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

}  // namespace cocoon::attest::tpm
