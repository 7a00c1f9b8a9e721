// SPDX-License-Identifier: Apache-2.0
// Building a test guest with guest/build-guest.sh unless its inputs are older than it.
#include "support/guest_build.h"

#include <chrono>

#include "common/subprocess.h"

namespace cocoon::test {
namespace {

namespace fs = std::filesystem;

bool guestIsFresh(const fs::path& source_dir, const fs::path& out,
                  const std::vector<fs::path>& inputs) {
  std::error_code ec;
  const auto built = fs::last_write_time(out / "manifest.txt", ec);
  if (ec) {
    return false;
  }
  std::vector<fs::path> all = {source_dir / "guest/build-guest.sh", source_dir / "guest/init.sh"};
  all.insert(all.end(), inputs.begin(), inputs.end());
  for (const fs::path& input : all) {
    if (fs::last_write_time(input, ec) >= built || ec) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> buildGuestUnlessFresh(const fs::path& source_dir, const fs::path& out,
                                                 const std::vector<fs::path>& inputs,
                                                 const std::vector<std::string>& args) {
  if (guestIsFresh(source_dir, out, inputs)) {
    return std::nullopt;
  }
  std::vector<std::string> argv = {(source_dir / "guest/build-guest.sh").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--out");
  argv.push_back(out.string());
  auto result = runSubprocess({.argv = argv, .timeout = std::chrono::seconds(300)});
  if (!result) {
    return "running build-guest.sh: " + result.error().toString();
  }
  if (result->exit_code == 3) {
    return "SKIP: the Debian archive is unreachable: " + result->stderr_data;
  }
  if (result->exit_code != 0) {
    return "build-guest.sh failed (" + std::to_string(result->exit_code) +
           "): " + result->stderr_data;
  }
  return std::nullopt;
}

}  // namespace cocoon::test
