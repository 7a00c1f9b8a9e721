// SPDX-License-Identifier: Apache-2.0
// dlopen of libcurl and dlsym of the functions the HTTP client calls, once per process.
#include "http/internal/curl_library.h"

#include <string_view>

#include "common/shared_library.h"

namespace cocoon::http::internal {
namespace {

Status resolveAll(void* handle, const SharedLibraryName& name, CurlLibrary& lib) {
  auto resolve = [&](const char* symbol, auto*& out) {
    return resolveSharedLibraryFunction(handle, name, symbol, out);
  };
  COCOON_TRY(resolve("curl_global_init", lib.global_init));
  COCOON_TRY(resolve("curl_easy_init", lib.easy_init));
  COCOON_TRY(resolve("curl_easy_setopt", lib.easy_setopt));
  COCOON_TRY(resolve("curl_easy_perform", lib.easy_perform));
  COCOON_TRY(resolve("curl_easy_reset", lib.easy_reset));
  COCOON_TRY(resolve("curl_easy_cleanup", lib.easy_cleanup));
  COCOON_TRY(resolve("curl_easy_strerror", lib.easy_strerror));
  COCOON_TRY(resolve("curl_slist_append", lib.slist_append));
  COCOON_TRY(resolve("curl_slist_free_all", lib.slist_free_all));
  COCOON_TRY(resolve("curl_url", lib.url));
  COCOON_TRY(resolve("curl_url_set", lib.url_set));
  COCOON_TRY(resolve("curl_url_get", lib.url_get));
  COCOON_TRY(resolve("curl_url_cleanup", lib.url_cleanup));
  COCOON_TRY(resolve("curl_free", lib.free_string));
  return okStatus();
}

}  // namespace

Result<CurlLibrary> openCurlLibrary(const char* soname) {
  const SharedLibraryName name{
      .soname = soname,
      .user = "HTTP client",
      .package = std::string_view(soname) == kCurlSoname ? "libcurl4" : "",
  };
  // libcurl keeps global state, and every easy handle made from the table points into it.
  return openFunctionTable<CurlLibrary>(name, [&](void* handle, CurlLibrary& lib) -> Status {
    COCOON_TRY(resolveAll(handle, name, lib));
    if (const CURLcode rc = lib.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
      return fail(Code::kUnavailable, "HTTP client: curl_global_init of {} failed: {}", soname,
                  lib.easy_strerror(rc));
    }
    return okStatus();
  });
}

Result<const CurlLibrary*> loadCurlLibrary() {
  // A function-local static: no work before the first request, thread-safe initialisation.
  static const Result<CurlLibrary> loaded = openCurlLibrary(kCurlSoname);
  return loadedTable(loaded);
}

}  // namespace cocoon::http::internal
