// SPDX-License-Identifier: Apache-2.0
// Intel TDX launch measurement: MRTD as the TDX module accumulates it while QEMU/KVM
// add the TDVF sections (TDH.MEM.PAGE.ADD, TDH.MR.EXTEND) before TDH.MR.FINALIZE.
// Trust: the firmware is the owner's input; it goes through parseOvmf() first.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "measure/ovmf.h"
#include "measure/snp.h"

namespace cocoon::measure {

// The order in which pages of a section reach the TDX module.
enum class TdxPageAddOrder : std::uint8_t {
  // Upstream KVM (Linux 6.16+, KVM_TDX_INIT_MEM_REGION): PAGE.ADD of a page, then its
  // sixteen MR.EXTENDs, page by page.
  kSinglePass,
  // Older TDX KVM trees: PAGE.ADD of every page of a section, then the MR.EXTENDs of all.
  kTwoPass,
};

// At most this many 4 KiB pages are measured (4 GiB of TDVF sections).
inline constexpr std::uint64_t kMaxTdxMeasuredPages = std::uint64_t{1} << 20;

// MRTD of `tdvf`: for each TDVF section in order and each of its pages, unless the
// section has PAGE.AUG, SHA-384 is updated with the 128-byte TDH.MEM.PAGE.ADD buffer
// ("MEM.PAGE.ADD", GPA at byte 16, zeros); for sections with MR.EXTEND, each 256-byte
// chunk adds the 128-byte "MR.EXTEND" buffer (GPA at byte 16) and the chunk (the raw
// data, zero-filled up to memory_data_size, as QEMU copies it).
// Errors (kInvalidArgument): no TDX metadata, a section not page aligned, raw data larger
// than the section's memory or outside the image (the message says so, e.g. for a split
// OVMF_CODE.fd given without its OVMF_VARS.fd), more than kMaxTdxMeasuredPages pages, a
// section that wraps the address space.
Result<Sha384> tdxMrtd(const OvmfImage& tdvf, TdxPageAddOrder order = TdxPageAddOrder::kSinglePass);

}  // namespace cocoon::measure
