// SPDX-License-Identifier: Apache-2.0
// The AMD-specific X.509 extensions of VCEK and VLEK certificates (AMD VCEK spec 57230,
// Table 8): the TCB the key was derived for and the chip's hwID.
//
// Trust: read from certificates that may not have been verified yet; callers compare the
// values only after (or as part of) the chain check.
#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/x509.h"
#include "verify/snp/report.h"

namespace cocoon::verify::snp {

// The SPL extensions: bootloader 1.3.6.1.4.1.3704.1.3.1, tee .3.2, snp .3.3, ucode .3.8
// and, for Turin, fmc .3.9; each a DER INTEGER of 0..255. kInvalidArgument naming the OID
// when one is missing or not such an integer.
Result<TcbVersion> certificateTcb(const crypto::Certificate& cert, Product product);

// The hwID extension (1.3.6.1.4.1.3704.1.4): the chip ID, raw (older certificates) or
// wrapped in a DER OCTET STRING; nullopt when absent (VLEKs have none). kInvalidArgument
// when it holds neither form.
Result<std::optional<Bytes>> certificateHwid(const crypto::Certificate& cert);

// The product in an issuer CN "SEV-<Product>" (VCEK) or "SEV-VLEK-<Product>" (VLEK), or
// nullopt.
std::optional<Product> productFromIssuer(const crypto::Certificate& cert, bool vlek);

}  // namespace cocoon::verify::snp
