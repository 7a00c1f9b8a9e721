// SPDX-License-Identifier: Apache-2.0
// dlopen/dlsym with errors that name the library, its user and its Debian package.
#include "common/shared_library.h"

#include <dlfcn.h>

#include <string>

namespace cocoon {

Result<void*> openSharedLibrary(const SharedLibraryName& name) {
  void* handle = dlopen(name.soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    const std::string package =
        name.package.empty() ? "" : fmt::format(" (Debian package {})", name.package);
    return fail(Code::kUnavailable, "{}: cannot load {}{}: {}", name.user, name.soname, package,
                why != nullptr ? why : "unknown dlopen error");
  }
  return handle;
}

void closeSharedLibrary(void* handle) {
  if (handle != nullptr) {
    dlclose(handle);
  }
}

Result<void*> findSharedLibraryFunction(void* handle, const SharedLibraryName& name,
                                        const char* symbol) {
  dlerror();  // clears a stale error: a null symbol is not necessarily a failure
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    const char* why = dlerror();
    return fail(Code::kUnavailable, "{}: {} has no function {}: {}", name.user, name.soname, symbol,
                why != nullptr ? why : "its address is null");
  }
  return address;
}

}  // namespace cocoon
