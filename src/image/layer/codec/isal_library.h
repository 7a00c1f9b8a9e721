// SPDX-License-Identifier: Apache-2.0
// ISA-L loaded at run time: the table of the igzip inflate functions GzipSource calls.
#pragma once

#include <isa-l/igzip_lib.h>

#include "common/result.h"

namespace cocoon::image::layer::codec {

// Debian 12's libisal2 (the soname of the headers the build uses).
inline constexpr const char* kIsalSoname = "libisal.so.2";

// Pointers into a loaded ISA-L, each with the type of its declaration in
// <isa-l/igzip_lib.h>. Nothing links ISA-L: only a gzip layer loads it, so the guest agent
// idles without it (common/shared_library.h).
struct IsalLibrary {
  decltype(&isal_inflate_init) inflate_init;
  decltype(&isal_inflate_reset) inflate_reset;
  decltype(&isal_inflate) inflate;
};

// Loads `soname` and resolves every IsalLibrary function; a successful load stays for the
// life of the process, a failed one leaves nothing loaded. Errors: kUnavailable naming the
// library (and its Debian package, for the default soname) or the missing function.
Result<IsalLibrary> openIsalLibrary(const char* soname);

// openIsalLibrary(kIsalSoname) on the first call; later calls return the same table or the
// same error. Thread-safe.
Result<const IsalLibrary*> loadIsalLibrary();

}  // namespace cocoon::image::layer::codec
