// SPDX-License-Identifier: Apache-2.0
// Input, output and error reporting shared by the `cocoon` CLI's verbs.
#include <cstdio>
#include <iterator>
#include <string>

#include "cmd/cocoon/command.h"
#include "common/files.h"

namespace cocoon::cli {
namespace {
constexpr std::size_t kMaxInputBytes = 64 * 1024 * 1024;
}  // namespace

Result<Bytes> readInput(const std::string& path) {
  if (path != "-") {
    return readFile(path, kMaxInputBytes);
  }
  Bytes out;
  std::uint8_t buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (out.size() + n > kMaxInputBytes) {
      return fail(Code::kResourceExhausted, "standard input is larger than {} bytes",
                  kMaxInputBytes);
    }
    out.insert(out.end(), buf, buf + n);
  }
  if (std::ferror(stdin)) {
    return fail(Code::kInternal, "reading standard input failed");
  }
  return out;
}

Status writeOutput(const std::string& path, ByteSpan data, unsigned mode) {
  if (path != "-") {
    return writeFileAtomic(path, data, static_cast<mode_t>(mode));
  }
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout)) {
    return fail(Code::kInternal, "writing standard output failed");
  }
  return okStatus();
}

int reportError(const Error& error) {
  std::fprintf(stderr, "cocoon: %s\n", error.toString().c_str());
  return kExitFailure;
}

}  // namespace cocoon::cli
