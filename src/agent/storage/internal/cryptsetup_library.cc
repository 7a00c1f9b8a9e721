// SPDX-License-Identifier: Apache-2.0
// dlopen of libcryptsetup and dlsym of the functions the scratch store calls.
#include "agent/storage/internal/cryptsetup_library.h"

#include <string_view>

#include "common/shared_library.h"

namespace cocoon::agent::storage::internal {
namespace {

Status resolveAll(void* handle, const SharedLibraryName& name, CryptsetupLibrary& lib) {
  auto resolve = [&](const char* symbol, auto*& out) {
    return resolveSharedLibraryFunction(handle, name, symbol, out);
  };
  COCOON_TRY(resolve("crypt_init", lib.init));
  COCOON_TRY(resolve("crypt_free", lib.free_device));
  COCOON_TRY(resolve("crypt_set_log_callback", lib.set_log_callback));
  COCOON_TRY(resolve("crypt_set_metadata_size", lib.set_metadata_size));
  COCOON_TRY(resolve("crypt_format", lib.format));
  COCOON_TRY(resolve("crypt_activate_by_volume_key", lib.activate_by_volume_key));
  COCOON_TRY(resolve("crypt_get_active_device", lib.get_active_device));
  COCOON_TRY(resolve("crypt_deactivate", lib.deactivate));
  return okStatus();
}

}  // namespace

Result<CryptsetupLibrary> openCryptsetupLibrary(const char* soname) {
  const SharedLibraryName name{
      .soname = soname,
      .user = "encrypted scratch store",
      .package = std::string_view(soname) == kCryptsetupSoname ? "libcryptsetup12" : "",
  };
  return openFunctionTable<CryptsetupLibrary>(
      name, [&](void* handle, CryptsetupLibrary& lib) { return resolveAll(handle, name, lib); });
}

Result<const CryptsetupLibrary*> loadCryptsetupLibrary() {
  static const Result<CryptsetupLibrary> loaded = openCryptsetupLibrary(kCryptsetupSoname);
  return loadedTable(loaded);
}

}  // namespace cocoon::agent::storage::internal
