// SPDX-License-Identifier: Apache-2.0
// libcurl loaded at run time: the table of the functions the HTTP client calls.
#pragma once

#include <curl/curl.h>

#include "common/result.h"

namespace cocoon::http::internal {

// The soname the client loads: Debian's libcurl4 (OpenSSL flavour, the one the build's
// headers come from).
inline constexpr const char* kCurlSoname = "libcurl.so.4";

// Pointers into a loaded libcurl, one per function the client uses. curl's headers still
// give the types and constants; only the calls go through here. Nothing links libcurl, so
// a process that never sends a request never maps it and the 20-odd libraries it needs
// (gnutls, Kerberos, LDAP, ssh2, rtmp ...): the guest agent starts and idles without them.
struct CurlLibrary {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* easy, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* easy);
  void (*easy_reset)(CURL* easy);
  void (*easy_cleanup)(CURL* easy);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* line);
  void (*slist_free_all)(curl_slist* list);
  CURLU* (*url)();
  CURLUcode (*url_set)(CURLU* url, CURLUPart part, const char* content, unsigned int flags);
  CURLUcode (*url_get)(const CURLU* url, CURLUPart part, char** content, unsigned int flags);
  void (*url_cleanup)(CURLU* url);
  void (*free_string)(void* pointer);  // curl_free
};

// Loads `soname` (dlopen, RTLD_NOW | RTLD_LOCAL), resolves every CurlLibrary function and
// runs curl_global_init(CURL_GLOBAL_DEFAULT). Each successful call returns a new table and
// keeps the library loaded for the life of the process (libcurl's global state and any
// handle made from the table must stay valid). On failure nothing stays loaded.
// Not thread-safe with respect to other curl_global_init calls (libcurl's own rule);
// loadCurlLibrary serialises the production call.
// Errors: kUnavailable when the library cannot be loaded (the message names it, its Debian
// package for the default soname, and dlerror()'s text), a function is missing from it
// (named), or curl_global_init fails.
Result<CurlLibrary> openCurlLibrary(const char* soname);

// openCurlLibrary(kCurlSoname) once per process, on the first call; later calls return the
// same table, or the same error (a missing library does not appear while the process
// runs). Thread-safe. Errors: those of openCurlLibrary.
Result<const CurlLibrary*> loadCurlLibrary();

}  // namespace cocoon::http::internal
