// SPDX-License-Identifier: Apache-2.0
// One configfs-tsm report (Documentation/ABI/testing/configfs-tsm): create an entry, write
// privlevel and inblob, read outblob/auxblob, check no other writer raced us, remove it.
//
// Trust: the guest kernel's interface; outblob/auxblob are size-capped and passed on
// unparsed or to the bounds-checked parsers of attest/snp and attest/tdx.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "attest/environment.h"
#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::attest::device {

struct TsmRequest {
  std::string_view provider;  // expected `provider`, without newline: "sev_guest", "tdx_guest"
  ByteSpan inblob;            // the report data (64 bytes for snp and tdx)
  std::optional<unsigned> privlevel;  // snp: the VMPL to request (written before inblob)
  bool want_auxblob = false;          // snp: the certificate table
};

struct TsmReport {
  Bytes outblob;
  std::optional<Bytes> auxblob;  // nullopt when not wanted, missing or empty
};

// Runs one report request in a fresh entry below env.tsmReportDir(). The entry is removed
// on every path. `generation` must equal the number of attribute writes made (the kernel
// counts each privlevel and inblob write), else another writer used the entry.
// Errors: kNotFound when the tsm report directory is missing; kFailedPrecondition when the
// provider is another TEE's (both named); kAborted when the generation shows a concurrent
// writer (expected and found); kResourceExhausted for an outblob over 1 MiB; the errno of
// a failed entry or attribute operation, naming the attribute.
Result<TsmReport> generateTsmReport(const TeeEnvironment& env, const TsmRequest& request);

// The provider name of configfs-tsm (without trailing newline), read from a temporary
// entry. Errors as for generateTsmReport.
Result<std::string> readTsmProvider(const TeeEnvironment& env);

// The interface an attester uses: `wanted` when given (it must be configfs-tsm or the
// device), else configfs-tsm when its provider is `provider`, else `device` when it exists.
// `tee` names the TEE in messages. Errors: kInvalidArgument for another wanted interface;
// kNotFound when neither exists (both paths named).
Result<TeeInterface> chooseTeeInterface(const TeeEnvironment& env,
                                        std::optional<TeeInterface> wanted,
                                        std::string_view provider,
                                        const std::filesystem::path& device, std::string_view tee);

}  // namespace cocoon::attest::device
