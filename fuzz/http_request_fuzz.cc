// SPDX-License-Identifier: Apache-2.0
// Fuzzes the HTTP server's request framing (Beast's parser under our limits and checks)
// and splitPath on every path that framing accepts.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/server/internal/parse.h"
#include "http/server/request.h"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

constexpr std::size_t kMaxHeader = 4096;
constexpr std::size_t kMaxBody = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto request = cocoon::http::server::internal::parseRequest(bytes, kMaxHeader, kMaxBody);
  if (!request) {
    // Every refusal is one of the answers the server sends.
    const unsigned status = request.error().status;
    require(status == 400 || status == 413 || status == 431);
    return 0;
  }
  require(request->body.size() <= kMaxBody);
  require(!request->path.empty() && request->path.front() == '/');
  auto segments = cocoon::http::server::splitPath(request->path);
  if (segments) {
    for (const auto& segment : *segments) {
      require(!segment.empty() && segment != "." && segment != "..");
      require(segment.find('/') == std::string::npos);
    }
  }
  return 0;
}
