// SPDX-License-Identifier: Apache-2.0
// dlopen of libcurl and dlsym of the functions the HTTP client calls, once per process.
#include "http/internal/curl_library.h"

#include <dlfcn.h>

#include <string>
#include <string_view>

namespace cocoon::http::internal {
namespace {

template <class Fn>
Status resolve(void* handle, const char* soname, const char* name, Fn& out) {
  dlerror();  // clears a stale error: a null symbol is not necessarily a failure
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    const char* why = dlerror();
    return fail(Code::kUnavailable, "HTTP client: {} has no function {}: {}", soname, name,
                why != nullptr ? why : "its address is null");
  }
  out = reinterpret_cast<Fn>(symbol);
  return okStatus();
}

Status resolveAll(void* handle, const char* soname, CurlLibrary& lib) {
  COCOON_TRY(resolve(handle, soname, "curl_global_init", lib.global_init));
  COCOON_TRY(resolve(handle, soname, "curl_easy_init", lib.easy_init));
  COCOON_TRY(resolve(handle, soname, "curl_easy_setopt", lib.easy_setopt));
  COCOON_TRY(resolve(handle, soname, "curl_easy_perform", lib.easy_perform));
  COCOON_TRY(resolve(handle, soname, "curl_easy_reset", lib.easy_reset));
  COCOON_TRY(resolve(handle, soname, "curl_easy_cleanup", lib.easy_cleanup));
  COCOON_TRY(resolve(handle, soname, "curl_easy_strerror", lib.easy_strerror));
  COCOON_TRY(resolve(handle, soname, "curl_slist_append", lib.slist_append));
  COCOON_TRY(resolve(handle, soname, "curl_slist_free_all", lib.slist_free_all));
  COCOON_TRY(resolve(handle, soname, "curl_url", lib.url));
  COCOON_TRY(resolve(handle, soname, "curl_url_set", lib.url_set));
  COCOON_TRY(resolve(handle, soname, "curl_url_get", lib.url_get));
  COCOON_TRY(resolve(handle, soname, "curl_url_cleanup", lib.url_cleanup));
  COCOON_TRY(resolve(handle, soname, "curl_free", lib.free_string));
  return okStatus();
}

}  // namespace

Result<CurlLibrary> openCurlLibrary(const char* soname) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    const std::string package =
        std::string_view(soname) == kCurlSoname ? " (Debian package libcurl4)" : "";
    return fail(Code::kUnavailable, "HTTP client: cannot load {}{}: {}", soname, package,
                why != nullptr ? why : "unknown dlopen error");
  }
  CurlLibrary lib{};
  Status resolved = resolveAll(handle, soname, lib);
  if (resolved) {
    const CURLcode rc = lib.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
      resolved = fail(Code::kUnavailable, "HTTP client: curl_global_init of {} failed: {}", soname,
                      lib.easy_strerror(rc));
    }
  }
  if (!resolved) {
    dlclose(handle);
    return fail(std::move(resolved.error()));
  }
  // The handle is never closed: libcurl keeps global state, and every easy handle made from
  // this table points into the library.
  return lib;
}

Result<const CurlLibrary*> loadCurlLibrary() {
  // A function-local static: no work before the first request, thread-safe initialisation.
  static const Result<CurlLibrary> loaded = openCurlLibrary(kCurlSoname);
  if (!loaded) {
    return fail(loaded.error());
  }
  return &*loaded;
}

}  // namespace cocoon::http::internal
