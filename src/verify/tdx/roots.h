// SPDX-License-Identifier: Apache-2.0
// The Intel certificates the TDX verifier pins in the binary.
#pragma once

#include "crypto/x509.h"

namespace cocoon::verify::tdx {

// SHA-256 of the Intel SGX Root CA certificate's DER (its fingerprint).
inline constexpr std::string_view kIntelSgxRootCaSha256 =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

// The Intel SGX Root CA: the trust anchor of PCK certificate chains and of the TCB Signing
// certificate. Parsed once; immutable and thread-safe.
const crypto::Certificate& intelSgxRootCa();

// The Intel SGX TCB Signing certificate (issued by the Root CA), whose key signs TCB info
// and QE identity. Its chain to the root is verified at each use.
const crypto::Certificate& intelTcbSigningCertificate();

}  // namespace cocoon::verify::tdx
