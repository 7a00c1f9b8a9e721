// SPDX-License-Identifier: Apache-2.0
// dlopen of tpm2-tss and dlsym of the functions the TPM attester calls.
#include "attest/tpm/tss2_library.h"

#include <array>
#include <string_view>

#include "common/shared_library.h"

namespace cocoon::attest::tpm {
namespace {

// Debian 12 packages of the default sonames.
std::string_view packageOf(std::string_view soname) {
  const Tss2Sonames defaults;
  if (soname == defaults.tctildr) {
    return "libtss2-tctildr0";
  }
  if (soname == defaults.esys) {
    return "libtss2-esys-3.0.2-0";
  }
  if (soname == defaults.mu) {
    return "libtss2-mu0";
  }
  if (soname == defaults.rc) {
    return "libtss2-rc0";
  }
  return "";
}

SharedLibraryName nameOf(const char* soname) {
  return {.soname = soname, .user = "TPM attester", .package = packageOf(soname)};
}

Status resolveAll(const std::array<void*, 4>& handles, const Tss2Sonames& sonames,
                  Tss2Library& lib) {
  auto resolve = [](void* handle, const char* soname, const char* symbol, auto*& out) {
    return resolveSharedLibraryFunction(handle, nameOf(soname), symbol, out);
  };
  const auto [tctildr, esys, mu, rc] = handles;
  COCOON_TRY(resolve(tctildr, sonames.tctildr, "Tss2_TctiLdr_Initialize", lib.tctildr_initialize));
  COCOON_TRY(resolve(tctildr, sonames.tctildr, "Tss2_TctiLdr_Finalize", lib.tctildr_finalize));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_Initialize", lib.initialize));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_Finalize", lib.finalize));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_Free", lib.free));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_FlushContext", lib.flush_context));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_CreatePrimary", lib.create_primary));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_Quote", lib.quote));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_PCR_Extend", lib.pcr_extend));
  COCOON_TRY(resolve(esys, sonames.esys, "Esys_PCR_Read", lib.pcr_read));
  COCOON_TRY(resolve(mu, sonames.mu, "Tss2_MU_TPMT_SIGNATURE_Marshal", lib.marshal_signature));
  COCOON_TRY(resolve(rc, sonames.rc, "Tss2_RC_Decode", lib.decode_rc));
  return okStatus();
}

}  // namespace

Result<Tss2Library> openTss2Library(const Tss2Sonames& sonames) {
  std::array<void*, 4> handles{};
  auto closeAll = [&handles] {
    for (void* handle : handles) {
      closeSharedLibrary(handle);
    }
  };
  const std::array<const char*, 4> order = {sonames.tctildr, sonames.esys, sonames.mu, sonames.rc};
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto opened = openSharedLibrary(nameOf(order[i]));
    if (!opened) {
      closeAll();
      return fail(std::move(opened).error());
    }
    handles[i] = *opened;
  }
  Tss2Library lib{};
  if (Status resolved = resolveAll(handles, sonames, lib); !resolved) {
    closeAll();
    return fail(std::move(resolved.error()));
  }
  return lib;  // the handles stay open: see the header
}

Result<const Tss2Library*> loadTss2Library() {
  static const Result<Tss2Library> loaded = openTss2Library(Tss2Sonames{});
  return loadedTable(loaded);
}

}  // namespace cocoon::attest::tpm
