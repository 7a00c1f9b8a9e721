// SPDX-License-Identifier: Apache-2.0
// Libraries loaded at run time (dlopen) instead of linked, by the code paths that need them.
//
// The guest agent idles in a few MiB, so a library that only some requests use (libcurl for
// a pull, libcryptsetup for the scratch disk, tpm2-tss for a vTPM quote) is not linked: the
// code that needs it loads it into a table of function pointers on first use, and the
// library's own dependencies come with it (bench/agent/README.md). The library's headers
// still give the types and constants; only the calls go through the table.
#pragma once

#include <string_view>
#include <utility>

#include "common/result.h"

namespace cocoon {

// What a load failure names: who needed the library and which Debian package ships it.
struct SharedLibraryName {
  const char* soname;        // e.g. "libcryptsetup.so.12"; a path also works (tests)
  std::string_view user;     // e.g. "encrypted scratch disk": the error's first words
  std::string_view package;  // e.g. "libcryptsetup12"; empty: not named
};

// dlopen(soname, RTLD_NOW | RTLD_LOCAL). The caller owns the handle (closeSharedLibrary).
// Errors: kUnavailable "<user>: cannot load <soname> (Debian package <package>): <dlerror>".
Result<void*> openSharedLibrary(const SharedLibraryName& name);

// dlclose of a handle from openSharedLibrary; null is ignored.
void closeSharedLibrary(void* handle);

// dlsym(handle, symbol). Errors: kUnavailable "<user>: <soname> has no function <symbol>: …".
Result<void*> findSharedLibraryFunction(void* handle, const SharedLibraryName& name,
                                        const char* symbol);

// findSharedLibraryFunction into a typed pointer: `Fn` must be the function's real type
// (take it from the library's header with decltype, so a mismatch cannot compile).
template <class Fn>
Status resolveSharedLibraryFunction(void* handle, const SharedLibraryName& name, const char* symbol,
                                    Fn*& out) {
  COCOON_ASSIGN_OR_RETURN(void* address, findSharedLibraryFunction(handle, name, symbol));
  out = reinterpret_cast<Fn*>(address);
  return okStatus();
}

// Opens `name` and fills a table of its functions with `resolve(handle, table)`, which may
// also run the library's own initialisation; if that fails, the library is closed again
// and its error returned. Otherwise the library stays loaded for the life of the process:
// the table points into it.
template <class Table, class Resolve>
Result<Table> openFunctionTable(const SharedLibraryName& name, Resolve resolve) {
  COCOON_ASSIGN_OR_RETURN(void* handle, openSharedLibrary(name));
  Table table{};
  if (Status resolved = resolve(handle, table); !resolved) {
    closeSharedLibrary(handle);
    return fail(std::move(resolved.error()));
  }
  return table;
}

// A table loaded once per process: `loaded` is the caller's function-local static (so the
// first call loads it, thread-safely), returned as a pointer or as its load error.
template <class Table>
Result<const Table*> loadedTable(const Result<Table>& loaded) {
  if (!loaded) {
    return fail(loaded.error());
  }
  return &*loaded;
}

}  // namespace cocoon
