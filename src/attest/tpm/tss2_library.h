// SPDX-License-Identifier: Apache-2.0
// tpm2-tss loaded at run time: the table of the ESAPI, MU, RC and TCTI-loader functions the
// TPM attester calls.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "common/result.h"

namespace cocoon::attest::tpm {

// Pointers into the loaded tpm2-tss libraries, one per function the attester uses; each
// has the type of its declaration in the tss2 headers. Nothing links tpm2-tss: only a guest
// that attests with a (v)TPM loads it (four libraries, with libtss2-sys and OpenSSL's
// libssl), so an agent on SNP or TDX, or one that has not attested yet, maps none of it.
struct Tss2Library {
  decltype(&Tss2_TctiLdr_Initialize) tctildr_initialize;
  decltype(&Tss2_TctiLdr_Finalize) tctildr_finalize;
  decltype(&Esys_Initialize) initialize;
  decltype(&Esys_Finalize) finalize;
  decltype(&Esys_Free) free;
  decltype(&Esys_FlushContext) flush_context;
  decltype(&Esys_CreatePrimary) create_primary;
  decltype(&Esys_Quote) quote;
  decltype(&Esys_PCR_Extend) pcr_extend;
  decltype(&Esys_PCR_Read) pcr_read;
  decltype(&Tss2_MU_TPMT_SIGNATURE_Marshal) marshal_signature;
  decltype(&Tss2_RC_Decode) decode_rc;
};

// The sonames of Debian 12's tpm2-tss 3.2 (the headers the build uses) and their packages.
struct Tss2Sonames {
  const char* tctildr = "libtss2-tctildr.so.0";
  const char* esys = "libtss2-esys.so.0";
  const char* mu = "libtss2-mu.so.0";
  const char* rc = "libtss2-rc.so.0";
};

// Loads the four libraries and resolves every Tss2Library function. Each successful call
// returns a new table and keeps the libraries loaded for the life of the process; on
// failure nothing stays loaded. Errors: kUnavailable naming the library that cannot be
// loaded (with its Debian package for the default sonames) or the missing function.
Result<Tss2Library> openTss2Library(const Tss2Sonames& sonames);

// openTss2Library(Tss2Sonames{}) on the first call; later calls return the same table or
// the same error. Thread-safe.
Result<const Tss2Library*> loadTss2Library();

}  // namespace cocoon::attest::tpm
