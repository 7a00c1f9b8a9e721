// SPDX-License-Identifier: Apache-2.0
// The Authenticode image digest of a PE/COFF file (Microsoft "Windows Authenticode Portable
// Executable Signature Format", "Calculating the PE Image Hash"), which UEFI firmware
// measures for an EFI application it starts, e.g. the Linux kernel's EFI stub.
// Trust: the image is the owner's input; it is read only through bounds-checked spans.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "measure/snp.h"

namespace cocoon::measure {

// The parts of `pe` that the Authenticode digest covers, in hashing order: the headers up
// to SizeOfHeaders without the optional header's CheckSum and without the Certificate
// Table data directory entry (when NumberOfRvaAndSizes reaches it), then the raw data of
// each section with SizeOfRawData > 0 in ascending PointerToRawData order, then the data
// after the last section up to the attribute certificate table (the size the Certificate
// Table entry gives, at the end of the file), as EDK2's DxeTpm2MeasureBootLib hashes it.
// Errors (kInvalidArgument): no "MZ" or "PE\0\0" signature, an optional header that is not
// PE32 (0x10b) or PE32+ (0x20b), a header field, SizeOfHeaders or a section's raw data
// outside the file; the message names the field and its offset.
Result<std::vector<ByteSpan>> peAuthenticodeRanges(ByteSpan pe);

// SHA-384 over peAuthenticodeRanges(pe): the digest OVMF's TDX measurement (and a TPM's
// SHA-384 bank) records for the image. Errors: as peAuthenticodeRanges.
Result<Sha384> peAuthenticodeSha384(ByteSpan pe);

}  // namespace cocoon::measure
