// SPDX-License-Identifier: Apache-2.0
// SEV-SNP launch measurement: the digest AMD firmware computes over the pages QEMU/KVM
// load with SNP_LAUNCH_UPDATE, so a workload owner can register it as a reference value.
// Trust: the firmware, kernel, initrd and command line are the owner's own inputs; the
// firmware goes through parseOvmf() first.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "measure/ovmf.h"

namespace cocoon::measure {

using Sha256 = std::array<std::uint8_t, 32>;
using Sha384 = std::array<std::uint8_t, 48>;

// The hashes QEMU puts in the SEV hash table for measured direct boot (-kernel,
// -initrd, -append with an AmdSev OVMF).
struct SevKernelHashes {
  Sha256 cmdline{};  // SHA-256 of the command line and its trailing NUL
  Sha256 initrd{};   // SHA-256 of the initrd (of no bytes when there is none)
  Sha256 kernel{};   // SHA-256 of the kernel image file
};

// Hashes the direct-boot inputs as QEMU does (the command line gets a trailing NUL; an
// absent command line is measured as the empty string, i.e. one NUL byte).
SevKernelHashes hashKernelInputs(ByteSpan kernel, ByteSpan initrd, std::string_view cmdline);

// The SEV hash table QEMU writes (QEMU target/i386/sev.c, SevHashTable): a GUID-framed
// header (9438d606-...) and three GUID-framed SHA-256 entries, cmdline (97d02dd8-...),
// initrd (44baf731-...) and kernel (4de79437-...), padded with zeros to a multiple of 16:
// 176 bytes.
Bytes sevHashTable(const SevKernelHashes& hashes);

// The CPUID Fn0000_0001_EAX signature of a family/model/stepping (AMD CPUID spec #25481).
std::uint32_t cpuSignature(std::uint32_t family, std::uint32_t model, std::uint32_t stepping);
// The signature of a QEMU -cpu model name ("EPYC-v4", "EPYC-Milan", "EPYC-Genoa", ...).
// Errors: kInvalidArgument for an unknown name (the message lists the known ones).
Result<std::uint32_t> cpuSignatureOf(std::string_view vcpu_type);

// At most this many vCPUs (QEMU's maximum for a q35 SNP guest is far lower).
inline constexpr std::uint32_t kMaxVcpus = 4096;

// At most this many 4 KiB pages are measured from SEV metadata sections (4 GiB).
inline constexpr std::uint64_t kMaxSnpSectionPages = std::uint64_t{1} << 20;

// What QEMU launches besides the firmware.
struct SnpLaunchConfig {
  std::uint32_t vcpus = 1;
  std::uint32_t vcpu_signature = 0;  // from cpuSignatureOf()
  // The VMSA's SEV_FEATURES: bit 0 SNPActive. QEMU's default guest leaves the others 0;
  // stacks that enable e.g. DebugSwap (bit 5) must pass the value they launch with.
  std::uint64_t guest_features = 0x1;
  // Measured direct boot: the hashes page goes into the SNP_KERNEL_HASHES section.
  std::optional<SevKernelHashes> kernel_hashes;
};

// The SNP launch digest (MEASUREMENT of the attestation report) of `ovmf` launched by
// QEMU/KVM as `config` says: every firmware page as a normal page at 4 GiB - size, then
// each SEV metadata section in order (SNP_SEC_MEM and SVSM_CAA as zero pages, SNP_SECRETS
// and CPUID pages, SNP_KERNEL_HASHES as the hash-table page or zero pages without a
// kernel), then one VMSA per vCPU (the BSP at the reset vector, APs at the SEV-ES reset
// block's EIP).
// Errors (kInvalidArgument): the image has no SEV metadata, its size is not a whole
// number of pages or exceeds 4 GiB, a section is not page aligned, a kernel is given but
// the image has no SNP_KERNEL_HASHES section or SEV hash table entry (not an AmdSev
// build), more than one vCPU without an SEV-ES reset block, vcpus outside 1..kMaxVcpus,
// sections adding up to more than kMaxSnpSectionPages pages.
Result<Sha384> snpLaunchDigest(const OvmfImage& ovmf, const SnpLaunchConfig& config);

}  // namespace cocoon::measure
