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
  return openFunctionTable<IsalLibrary>(name, [&](void* handle, IsalLibrary& lib) -> Status {
    COCOON_TRY(resolveSharedLibraryFunction(handle, name, "isal_inflate_init", lib.inflate_init));
    COCOON_TRY(resolveSharedLibraryFunction(handle, name, "isal_inflate_reset", lib.inflate_reset));
    return resolveSharedLibraryFunction(handle, name, "isal_inflate", lib.inflate);
  });
}

Result<const IsalLibrary*> loadIsalLibrary() {
  static const Result<IsalLibrary> loaded = openIsalLibrary(kIsalSoname);
  return loadedTable(loaded);
}

}  // namespace cocoon::image::layer::codec
