// SPDX-License-Identifier: Apache-2.0
// Libraries loaded at run time: a real function through the table, and the errors that
// name the library, its user, its Debian package and a missing function.
#include "common/shared_library.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon {
namespace {

using cocoon::test::expectError;

const SharedLibraryName kZlib{.soname = "libz.so.1", .user = "compressor", .package = "zlib1g"};

TEST(SharedLibrary, ResolvesAFunctionWithItsDeclaredType) {
  auto handle = openSharedLibrary(kZlib);
  ASSERT_TRUE(handle) << handle.error().toString();
  decltype(&zlibVersion) version = nullptr;
  ASSERT_TRUE(resolveSharedLibraryFunction(*handle, kZlib, "zlibVersion", version));
  ASSERT_NE(version, nullptr);
  EXPECT_STREQ(version(), ZLIB_VERSION);
  closeSharedLibrary(*handle);
}

TEST(SharedLibrary, MissingLibraryNamesItsUserSonameAndPackage) {
  const SharedLibraryName name{
      .soname = "libcocoon-no-such.so.3", .user = "scratch store", .package = "libnosuch3"};
  auto handle = openSharedLibrary(name);
  expectError(handle, Code::kUnavailable,
              "scratch store: cannot load libcocoon-no-such.so.3 (Debian package libnosuch3): ");
  EXPECT_NE(handle.error().message.find("cannot open shared object file"), std::string::npos)
      << handle.error().message;
}

TEST(SharedLibrary, WithoutPackageNamesNone) {
  auto handle = openSharedLibrary({.soname = "/nonexistent/libx.so", .user = "tests"});
  expectError(handle, Code::kUnavailable, "tests: cannot load /nonexistent/libx.so: ");
}

TEST(SharedLibrary, MissingFunctionNamesIt) {
  auto handle = openSharedLibrary(kZlib);
  ASSERT_TRUE(handle) << handle.error().toString();
  decltype(&zlibVersion) version = nullptr;
  Status found = resolveSharedLibraryFunction(*handle, kZlib, "crypt_init", version);
  expectError(found, Code::kUnavailable, "compressor: libz.so.1 has no function crypt_init: ");
  EXPECT_EQ(version, nullptr);
  closeSharedLibrary(*handle);
}

}  // namespace
}  // namespace cocoon
