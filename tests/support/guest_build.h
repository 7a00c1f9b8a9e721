// SPDX-License-Identifier: Apache-2.0
// Building a test guest with guest/build-guest.sh, for the QEMU tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cocoon::test {

// Runs `<source_dir>/guest/build-guest.sh <args...> --out <out>` unless <out>/manifest.txt
// is newer than build-guest.sh, guest/init.sh and every file in `inputs`.
// Answers nullopt when the guest is ready; "SKIP: ..." when the Debian archive is
// unreachable (build-guest.sh's status 3); otherwise what failed, with its stderr.
std::optional<std::string> buildGuestUnlessFresh(const std::filesystem::path& source_dir,
                                                 const std::filesystem::path& out,
                                                 const std::vector<std::filesystem::path>& inputs,
                                                 const std::vector<std::string>& args);

}  // namespace cocoon::test
