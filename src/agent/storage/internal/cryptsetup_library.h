// SPDX-License-Identifier: Apache-2.0
// libcryptsetup loaded at run time: the table of the functions the scratch store calls.
#pragma once

#include <libcryptsetup.h>

#include "common/result.h"

namespace cocoon::agent::storage::internal {

// Debian 12's libcryptsetup12 (the soname of the headers the build uses).
inline constexpr const char* kCryptsetupSoname = "libcryptsetup.so.12";

// Pointers into a loaded libcryptsetup, one per function the scratch store uses; each has
// the type of the declaration in <libcryptsetup.h>. Nothing links libcryptsetup: only the
// store thread of an agent that finds a scratch disk loads it, with libdevmapper, libblkid,
// libselinux, libudev, argon2, json-c and pcre2, so an idle agent maps none of them.
struct CryptsetupLibrary {
  decltype(&crypt_init) init;
  decltype(&crypt_free) free_device;  // crypt_free
  decltype(&crypt_set_log_callback) set_log_callback;
  decltype(&crypt_set_metadata_size) set_metadata_size;
  decltype(&crypt_format) format;
  decltype(&crypt_activate_by_volume_key) activate_by_volume_key;
  decltype(&crypt_get_active_device) get_active_device;
  decltype(&crypt_deactivate) deactivate;
};

// Loads `soname` and resolves every CryptsetupLibrary function. Each successful call
// returns a new table and keeps the library loaded for the life of the process (a device
// handle made from it points into the library); on failure nothing stays loaded.
// Errors: kUnavailable naming the library and its Debian package (for the default soname)
// and dlerror()'s text, or the missing function.
Result<CryptsetupLibrary> openCryptsetupLibrary(const char* soname);

// openCryptsetupLibrary(kCryptsetupSoname) on the first call; later calls return the same
// table or the same error. Thread-safe.
Result<const CryptsetupLibrary*> loadCryptsetupLibrary();

}  // namespace cocoon::agent::storage::internal
