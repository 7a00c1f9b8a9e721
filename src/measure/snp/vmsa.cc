// SPDX-License-Identifier: Apache-2.0
// Builds the VMSA page of one vCPU as KVM sets it up at SNP_LAUNCH_UPDATE_VMSA.
#include "measure/snp/vmsa.h"

namespace cocoon::measure::snp {
namespace {

template <class T>
void put(VmsaPage& page, std::size_t offset, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    page.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

void putSegment(VmsaPage& page, std::size_t offset, std::uint16_t selector, std::uint16_t attrib,
                std::uint32_t limit, std::uint64_t base) {
  put(page, offset, selector);
  put(page, offset + 2, attrib);
  put(page, offset + 4, limit);
  put(page, offset + 8, base);
}

}  // namespace

VmsaPage buildVmsa(std::uint32_t eip, std::uint64_t sev_features, std::uint32_t vcpu_signature) {
  namespace o = vmsa_offset;
  VmsaPage page{};
  // Real-mode segments as after INIT (APM vol. 2 §14.1.3), with QEMU's accessed bits set.
  putSegment(page, o::kEs, 0, 0x93, 0xffff, 0);
  putSegment(page, o::kCs, 0xf000, 0x9b, 0xffff, eip & 0xffff0000U);
  putSegment(page, o::kSs, 0, 0x93, 0xffff, 0);
  putSegment(page, o::kDs, 0, 0x93, 0xffff, 0);
  putSegment(page, o::kFs, 0, 0x93, 0xffff, 0);
  putSegment(page, o::kGs, 0, 0x93, 0xffff, 0);
  putSegment(page, o::kGdtr, 0, 0, 0xffff, 0);
  putSegment(page, o::kLdtr, 0, 0x82, 0xffff, 0);
  putSegment(page, o::kIdtr, 0, 0, 0xffff, 0);
  putSegment(page, o::kTr, 0, 0x8b, 0xffff, 0);
  put<std::uint64_t>(page, o::kEfer, 0x1000);  // KVM sets EFER.SVME
  put<std::uint64_t>(page, o::kCr4, 0x40);     // KVM sets CR4.MCE
  put<std::uint64_t>(page, o::kCr0, 0x10);     // CR0.ET
  put<std::uint64_t>(page, o::kDr7, 0x400);
  put<std::uint64_t>(page, o::kDr6, 0xffff0ff0);
  put<std::uint64_t>(page, o::kRflags, 0x2);
  put<std::uint64_t>(page, o::kRip, eip & 0xffffU);
  put<std::uint64_t>(page, o::kGPat, 0x0007040600070406);  // PAT reset value, APM vol. 2 A.3
  put<std::uint64_t>(page, o::kRdx, vcpu_signature);       // CPUID(1).EAX after reset
  put<std::uint64_t>(page, o::kSevFeatures, sev_features);
  put<std::uint64_t>(page, o::kXcr0, 0x1);
  put<std::uint32_t>(page, o::kMxcsr, 0x1f80);
  put<std::uint16_t>(page, o::kX87Fcw, 0x37f);
  return page;
}

}  // namespace cocoon::measure::snp
