// SPDX-License-Identifier: Apache-2.0
// Loading the real TDX vectors of shared/testdata/evidence (see its README for provenance).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace cocoon::verify::tdx::test {

// The file under shared/testdata/evidence/, or nullopt when the folder is missing (the
// caller then GTEST_SKIPs).
std::optional<Bytes> evidenceFile(const std::string& relative);

}  // namespace cocoon::verify::tdx::test
