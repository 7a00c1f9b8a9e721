// SPDX-License-Identifier: Apache-2.0
// The initial VMSA (SEV-ES save area) QEMU/KVM gives each vCPU of an SEV-SNP guest.
#pragma once

#include <array>
#include <cstdint>

namespace cocoon::measure::snp {

inline constexpr std::size_t kVmsaSize = 4096;
using VmsaPage = std::array<std::uint8_t, kVmsaSize>;

// Field offsets in the save area (AMD64 APM vol. 2, Table B-4 "VMSA Layout, State Save
// Area for SEV-ES"). Segment registers are {u16 selector, u16 attrib, u32 limit, u64 base}.
namespace vmsa_offset {
inline constexpr std::size_t kEs = 0x000;
inline constexpr std::size_t kCs = 0x010;
inline constexpr std::size_t kSs = 0x020;
inline constexpr std::size_t kDs = 0x030;
inline constexpr std::size_t kFs = 0x040;
inline constexpr std::size_t kGs = 0x050;
inline constexpr std::size_t kGdtr = 0x060;
inline constexpr std::size_t kLdtr = 0x070;
inline constexpr std::size_t kIdtr = 0x080;
inline constexpr std::size_t kTr = 0x090;
inline constexpr std::size_t kEfer = 0x0d0;
inline constexpr std::size_t kCr4 = 0x148;
inline constexpr std::size_t kCr0 = 0x158;
inline constexpr std::size_t kDr7 = 0x160;
inline constexpr std::size_t kDr6 = 0x168;
inline constexpr std::size_t kRflags = 0x170;
inline constexpr std::size_t kRip = 0x178;
inline constexpr std::size_t kGPat = 0x268;
inline constexpr std::size_t kRdx = 0x310;
inline constexpr std::size_t kSevFeatures = 0x3b0;
inline constexpr std::size_t kXcr0 = 0x3e8;
inline constexpr std::size_t kMxcsr = 0x408;
inline constexpr std::size_t kX87Fcw = 0x410;
}  // namespace vmsa_offset

// The BSP starts at the architectural reset vector.
inline constexpr std::uint32_t kBspResetEip = 0xfffffff0;

// The VMSA of a vCPU that starts at `eip` under QEMU/KVM's reset state: CS base =
// eip & 0xffff0000, RIP = eip & 0xffff, RDX = the CPUID family/model/stepping signature,
// SEV_FEATURES = `sev_features`, everything else KVM's SEV-ES reset values (EFER.SVME,
// CR4.MCE, CR0.ET, DR6/DR7, G_PAT, XCR0 = 1, MXCSR 0x1f80, FCW 0x37f) and zeros.
VmsaPage buildVmsa(std::uint32_t eip, std::uint64_t sev_features, std::uint32_t vcpu_signature);

}  // namespace cocoon::measure::snp
