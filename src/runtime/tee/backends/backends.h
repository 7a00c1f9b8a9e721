// SPDX-License-Identifier: Apache-2.0
// The backend of each TEE kind (private to runtime/tee; users call makeTeeBackend).
#pragma once

#include <memory>
#include <string>

#include "runtime/tee/backend.h"

namespace cocoon::runtime::tee::backends {

std::unique_ptr<TeeBackend> makeSnpBackend(const TeeOptions& options);
std::unique_ptr<TeeBackend> makeTdxBackend(const TeeOptions& options);
// kind is kSev or kSevEs.
std::unique_ptr<TeeBackend> makeSevBackend(TeeKind kind, const TeeOptions& options);
std::unique_ptr<TeeBackend> makeVtpmBackend(const TeeOptions& options);
std::unique_ptr<TeeBackend> makeNoneBackend();

// "cocoon.initdata=<alg>:<hex>" for kinds that carry the digest on the command line.
std::string initDataKernelParameter(const InitDataDigest& digest);

// kUnimplemented "<kind>: the launch measurement is not predicted (<why>)".
Result<LaunchMeasurement> noMeasurement(TeeKind kind, std::string_view why);

// QEMU's option syntax doubles a comma inside a value ("path=a,,b" for "a,b").
std::string qemuEscape(std::string_view value);

}  // namespace cocoon::runtime::tee::backends
