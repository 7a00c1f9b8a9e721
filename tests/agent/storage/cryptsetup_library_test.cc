// SPDX-License-Identifier: Apache-2.0
// libcryptsetup loaded at run time by the scratch store: the table and its load errors.
#include "agent/storage/internal/cryptsetup_library.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::agent::storage::internal {
namespace {

using cocoon::test::expectError;

TEST(CryptsetupLibrary, LoadsOnceWithEveryFunction) {
  auto first = loadCryptsetupLibrary();
  ASSERT_TRUE(first) << first.error().toString();
  auto second = loadCryptsetupLibrary();
  ASSERT_TRUE(second) << second.error().toString();
  EXPECT_EQ(*first, *second);
  const CryptsetupLibrary& lib = **first;
  for (const void* fn :
       {reinterpret_cast<const void*>(lib.init), reinterpret_cast<const void*>(lib.free_device),
        reinterpret_cast<const void*>(lib.set_log_callback),
        reinterpret_cast<const void*>(lib.set_metadata_size),
        reinterpret_cast<const void*>(lib.format),
        reinterpret_cast<const void*>(lib.activate_by_volume_key),
        reinterpret_cast<const void*>(lib.get_active_device),
        reinterpret_cast<const void*>(lib.deactivate)}) {
    EXPECT_NE(fn, nullptr);
  }
}

TEST(CryptsetupLibrary, InitOfAMissingDeviceFailsThroughTheTable) {
  auto lib = loadCryptsetupLibrary();
  ASSERT_TRUE(lib) << lib.error().toString();
  crypt_device* cd = nullptr;
  EXPECT_LT((*lib)->init(&cd, "/nonexistent/cocoon-scratch"), 0);
  EXPECT_EQ(cd, nullptr);
}

TEST(CryptsetupLibrary, MissingLibraryIsUnavailableNamingIt) {
  auto lib = openCryptsetupLibrary("libcocoon-no-such-cryptsetup.so.12");
  expectError(lib, Code::kUnavailable,
              "encrypted scratch store: cannot load libcocoon-no-such-cryptsetup.so.12: ");
}

TEST(CryptsetupLibrary, OtherLibraryIsUnavailableNamingTheMissingFunction) {
  auto lib = openCryptsetupLibrary("libz.so.1");
  expectError(lib, Code::kUnavailable,
              "encrypted scratch store: libz.so.1 has no function crypt_init: ");
}

}  // namespace
}  // namespace cocoon::agent::storage::internal
