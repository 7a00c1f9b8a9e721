// SPDX-License-Identifier: Apache-2.0
// Test helper: prints whether libcurl is mapped at start, after a client is made, and after
// its first request (to argv[1]), so curl_library_test can see the load happen in a fresh
// process. Output lines: "start N", "made N", "request OK|<error>", "sent N" (N = 0 or 1).
#include <link.h>

#include <cstdio>
#include <string_view>

#include "http/curl_client.h"

namespace {

int onObject(dl_phdr_info* info, std::size_t /*size*/, void* found) {
  const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  const std::size_t slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  if (base.starts_with("libcurl.so")) {
    *static_cast<int*>(found) = 1;
  }
  return 0;
}

int curlMapped() {
  int found = 0;
  dl_iterate_phdr(&onObject, &found);
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  std::printf("start %d\n", curlMapped());
  auto client = cocoon::http::makeCurlHttpClient({});
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().toString().c_str());
    return 1;
  }
  std::printf("made %d\n", curlMapped());
  cocoon::http::Request request;
  request.url = argv[1];
  auto response = (*client)->send(request, 1024);
  std::printf("request %s\n", response ? "OK" : response.error().toString().c_str());
  std::printf("sent %d\n", curlMapped());
  return 0;
}
