// SPDX-License-Identifier: Apache-2.0
// TDX RTMR1/RTMR2 of a directly booted Linux guest: the events the firmware (OVMF/TDVF or
// td-shim) and the kernel's EFI stub extend, recomputed from the kernel, initrd and command
// line so owners can register them as reference values. RTMR0 is not computed: it covers
// the TD HOB and the ACPI tables, which the VMM (QEMU version, -smp, -m, devices) builds.
// Trust: the inputs are the owner's; the kernel goes through peAuthenticodeSha384().
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "measure/snp.h"

namespace cocoon::measure {

// RTMR = SHA-384(RTMR || digest) for each digest in order, from 48 zero bytes (TDG.MR.RTMR.EXTEND).
Sha384 replayRtmr(std::span<const Sha384> digests);

// The action strings OVMF logs as EV_EFI_ACTION events into RTMR1 (PCR 4) around the boot
// of the kernel (TCG PC Client PFP §10.4.4 names).
inline constexpr std::string_view kCallingEfiApplication =
    "Calling EFI Application from Boot Option";
inline constexpr std::string_view kReturningFromEfiApplication =
    "Returning from EFI Application from Boot Option";
inline constexpr std::string_view kExitBootServicesInvocation = "Exit Boot Services Invocation";
inline constexpr std::string_view kExitBootServicesReturned =
    "Exit Boot Services Returned with Success";

struct TdxRtmrEvents {
  std::vector<Sha384> rtmr1;
  std::vector<Sha384> rtmr2;
};

// The LoadOptions OVMF's QEMU kernel loader gives the kernel (X86QemuLoadImageLib): the
// command line, plus " initrd=initrd" when there is an initrd, as UTF-16LE with a NUL
// terminator; empty (no LoadOptions, so the stub measures none) with neither.
// Bytes outside 7-bit ASCII are widened one byte to one UTF-16 unit, as OVMF's
// UnicodeSPrintAsciiFormat does.
Bytes ovmfLoadOptions(std::string_view cmdline, bool has_initrd);

// OVMF/TDVF direct boot (QEMU -kernel with a TDX OVMF, and a Linux EFI stub recent enough
// to measure its LoadOptions and initrd as EV_EVENT_TAG events):
//  RTMR1: the kernel's Authenticode SHA-384 (EV_EFI_BOOT_SERVICES_APPLICATION),
//         SHA-384("Calling EFI Application from Boot Option"),
//         SHA-384("Exit Boot Services Invocation"),
//         SHA-384("Exit Boot Services Returned with Success");
//  RTMR2: SHA-384(ovmfLoadOptions(cmdline, has initrd)) when not empty ("LOADED_IMAGE::
//         LoadOptions"), then SHA-384(initrd) when there is one ("Linux initrd").
// Order and strings as in a real OVMF log (testdata tdx/CCEL_data_ovmf). A kernel that
// returns to the firmware instead adds "Returning from EFI Application from Boot Option":
// not modelled. Errors: peAuthenticodeSha384's, with context "kernel".
Result<TdxRtmrEvents> ovmfDirectBootEvents(ByteSpan kernel, ByteSpan initrd,
                                           std::string_view cmdline);

// The size td-shim pads the payload parameter (command line) to before hashing it.
inline constexpr std::size_t kTdShimPayloadInfoSize = 4096;

// td-shim with a Linux payload: RTMR1 = the separator (SHA-384 of 4 zero bytes),
// SHA-384 of the payload image (the "td_payload" event), SHA-384 of the command line
// zero-padded to kTdShimPayloadInfoSize ("td_payload_info"); RTMR2 stays zero. As in a real
// td-shim log (testdata tdx/CCEL_data). Errors: kInvalidArgument for a command line
// longer than kTdShimPayloadInfoSize.
Result<TdxRtmrEvents> tdShimEvents(const Sha384& payload_digest, std::string_view cmdline);

}  // namespace cocoon::measure
