// SPDX-License-Identifier: Apache-2.0
// The AMD certificates pinned in the binary, per product.
#pragma once

#include <string_view>

#include "verify/snp/report.h"

namespace cocoon::verify::snp {

// Three PEM certificates of `product`, in this order: ASK ("SEV-<Product>"), ARK
// ("ARK-<Product>", self-signed) and ASVK ("SEV-VLEK-<Product>"). Static storage.
std::string_view vendorCertsPem(Product product);

}  // namespace cocoon::verify::snp
