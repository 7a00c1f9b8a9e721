// SPDX-License-Identifier: Apache-2.0
// dlopen of ISA-L and dlsym of the igzip inflate functions.
#include "image/layer/codec/isal_library.h"

#include <string_view>

#include "common/shared_library.h"

namespace cocoon::image::layer::codec {

Result<IsalLibrary> openIsalLibrary(const char* soname) {
  const SharedLibraryName name{
      .soname = soname,
      .user = "gzip layer decompression",
      .package = std::string_view(soname) == kIsalSoname ? "libisal2" : "",
  };
  COCOON_ASSIGN_OR_RETURN(void* handle, openSharedLibrary(name));
  IsalLibrary lib{};
  auto resolve = [&](const char* symbol, auto*& out) {
    return resolveSharedLibraryFunction(handle, name, symbol, out);
  };
  Status resolved = resolve("isal_inflate_init", lib.inflate_init);
  if (resolved) {
    resolved = resolve("isal_inflate_reset", lib.inflate_reset);
  }
  if (resolved) {
    resolved = resolve("isal_inflate", lib.inflate);
  }
  if (!resolved) {
    closeSharedLibrary(handle);
    return fail(std::move(resolved.error()));
  }
  return lib;  // the handle stays open: see the header
}

Result<const IsalLibrary*> loadIsalLibrary() {
  static const Result<IsalLibrary> loaded = openIsalLibrary(kIsalSoname);
  if (!loaded) {
    return fail(loaded.error());
  }
  return &*loaded;
}

}  // namespace cocoon::image::layer::codec
