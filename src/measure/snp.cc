// SPDX-License-Identifier: Apache-2.0
// SEV-SNP launch digest over OVMF, its SEV metadata sections, the kernel hashes page and
// the vCPUs' VMSAs, in the order QEMU issues SNP_LAUNCH_UPDATE.
#include "measure/snp.h"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "crypto/digest.h"
#include "measure/snp/launch_digest.h"
#include "measure/snp/vmsa.h"

namespace cocoon::measure {
namespace {

using snp::kPageSize;
using snp::PageType;

constexpr Guid kHashTableHeaderGuid = guidFromText("9438d606-4f22-4cc9-b479-a793d411fd21");
constexpr Guid kHashTableKernelGuid = guidFromText("4de79437-abd2-427f-b835-d5b172d2045b");
constexpr Guid kHashTableInitrdGuid = guidFromText("44baf731-3a2f-4bd7-9af1-41e29169781d");
constexpr Guid kHashTableCmdlineGuid = guidFromText("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");
constexpr std::size_t kHashEntrySize = 16 + 2 + 32;
constexpr std::size_t kHashTableSize = 16 + 2 + 3 * kHashEntrySize;

// QEMU -cpu models and their family/model/stepping (QEMU target/i386/cpu.c).
struct CpuModel {
  std::string_view name;
  std::uint32_t family, model, stepping;
};
constexpr std::array kCpuModels = {
    CpuModel{"EPYC", 23, 1, 2},           CpuModel{"EPYC-v1", 23, 1, 2},
    CpuModel{"EPYC-v2", 23, 1, 2},        CpuModel{"EPYC-IBPB", 23, 1, 2},
    CpuModel{"EPYC-v3", 23, 1, 2},        CpuModel{"EPYC-v4", 23, 1, 2},
    CpuModel{"EPYC-Rome", 23, 49, 0},     CpuModel{"EPYC-Rome-v1", 23, 49, 0},
    CpuModel{"EPYC-Rome-v2", 23, 49, 0},  CpuModel{"EPYC-Rome-v3", 23, 49, 0},
    CpuModel{"EPYC-Milan", 25, 1, 1},     CpuModel{"EPYC-Milan-v1", 25, 1, 1},
    CpuModel{"EPYC-Milan-v2", 25, 1, 1},  CpuModel{"EPYC-Genoa", 25, 17, 0},
    CpuModel{"EPYC-Genoa-v1", 25, 17, 0}, CpuModel{"EPYC-Turin", 26, 0, 0},
};

template <std::size_t N>
std::array<std::uint8_t, N> toArray(const Bytes& b) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(b.begin(), N, out.begin());
  return out;
}

void appendFramed(Bytes& out, const Guid& guid, std::size_t length) {
  out.insert(out.end(), guid.begin(), guid.end());
  out.push_back(static_cast<std::uint8_t>(length & 0xff));
  out.push_back(static_cast<std::uint8_t>(length >> 8));
}

Status checkPageAligned(const SevSection& s, std::size_t index) {
  if (s.gpa % kPageSize != 0 || s.size % kPageSize != 0 || s.size == 0) {
    return fail(Code::kInvalidArgument,
                "SEV metadata section {} ({}): gpa {:#x} size {:#x} is not a non-empty run of "
                "whole 4 KiB pages",
                index, sevSectionName(s.type), s.gpa, s.size);
  }
  return okStatus();
}

Status measureKernelHashes(snp::LaunchDigest& ld, const OvmfImage& ovmf, const SevSection& s,
                           const SevKernelHashes& hashes) {
  if (!ovmf.sev_hash_table) {
    return fail(Code::kInvalidArgument,
                "firmware has an SNP_KERNEL_HASHES section but no SEV hash table entry ({})",
                guidToText(kSevHashTableGuid));
  }
  if (s.size != kPageSize) {
    return fail(Code::kInvalidArgument,
                "SNP_KERNEL_HASHES section at gpa {:#x} is {:#x} bytes, expected one page", s.gpa,
                s.size);
  }
  const std::size_t offset = ovmf.sev_hash_table->gpa % kPageSize;
  Bytes table = sevHashTable(hashes);
  if (offset + table.size() > kPageSize) {
    return fail(Code::kInvalidArgument,
                "SEV hash table at gpa {:#x} does not fit its page: {} bytes at page offset {:#x}",
                ovmf.sev_hash_table->gpa, table.size(), offset);
  }
  Bytes page(kPageSize, 0);
  std::copy(table.begin(), table.end(), page.begin() + static_cast<std::ptrdiff_t>(offset));
  ld.updateNormalPages(s.gpa, page);
  return okStatus();
}

}  // namespace

SevKernelHashes hashKernelInputs(ByteSpan kernel, ByteSpan initrd, std::string_view cmdline) {
  Bytes with_nul(cmdline.begin(), cmdline.end());
  with_nul.push_back(0);
  SevKernelHashes h;
  h.cmdline = toArray<32>(crypto::sha256(with_nul));
  h.initrd = toArray<32>(crypto::sha256(initrd));
  h.kernel = toArray<32>(crypto::sha256(kernel));
  return h;
}

Bytes sevHashTable(const SevKernelHashes& hashes) {
  Bytes out;
  appendFramed(out, kHashTableHeaderGuid, kHashTableSize);
  for (const auto& [guid, hash] : {std::pair{kHashTableCmdlineGuid, &hashes.cmdline},
                                   std::pair{kHashTableInitrdGuid, &hashes.initrd},
                                   std::pair{kHashTableKernelGuid, &hashes.kernel}}) {
    appendFramed(out, guid, kHashEntrySize);
    out.insert(out.end(), hash->begin(), hash->end());
  }
  out.resize((out.size() + 15) / 16 * 16, 0);
  return out;
}

std::uint32_t cpuSignature(std::uint32_t family, std::uint32_t model, std::uint32_t stepping) {
  // Families above 0xf put 0xf in the base field and the rest in the extended field.
  const std::uint32_t family_low = family > 0xf ? 0xf : family;
  const std::uint32_t family_high = family > 0xf ? (family - 0xf) & 0xff : 0;
  return family_high << 20 | ((model >> 4) & 0xf) << 16 | family_low << 8 | (model & 0xf) << 4 |
         (stepping & 0xf);
}

Result<std::uint32_t> cpuSignatureOf(std::string_view vcpu_type) {
  std::string known;
  for (const CpuModel& m : kCpuModels) {
    if (m.name == vcpu_type) {
      return cpuSignature(m.family, m.model, m.stepping);
    }
    known += known.empty() ? "" : ", ";
    known += m.name;
  }
  return fail(Code::kInvalidArgument, "unknown vCPU type \"{}\": expected one of {}", vcpu_type,
              known);
}

Result<Sha384> snpLaunchDigest(const OvmfImage& ovmf, const SnpLaunchConfig& config) {
  if (ovmf.sev_sections.empty()) {
    return fail(Code::kInvalidArgument,
                "firmware has no SEV metadata (footer entry {}): not an SEV-SNP capable OVMF",
                guidToText(kSevMetadataGuid));
  }
  const std::size_t size = ovmf.firmware.size();
  if (size % kPageSize != 0 || size > (std::size_t{1} << 32)) {
    return fail(Code::kInvalidArgument,
                "firmware of {:#x} bytes is not a whole number of 4 KiB pages below 4 GiB", size);
  }
  if (config.vcpus == 0 || config.vcpus > kMaxVcpus) {
    return fail(Code::kInvalidArgument, "vcpus {} outside 1..{}", config.vcpus, kMaxVcpus);
  }
  if (config.vcpus > 1 && !ovmf.sev_es_reset_eip) {
    return fail(Code::kInvalidArgument,
                "firmware has no SEV-ES reset block ({}), so APs cannot start; use one vCPU",
                guidToText(kSevEsResetBlockGuid));
  }
  bool has_kernel_hashes_section = false;
  std::uint64_t section_pages = 0;
  for (std::size_t i = 0; i < ovmf.sev_sections.size(); ++i) {
    COCOON_TRY(checkPageAligned(ovmf.sev_sections[i], i));
    section_pages += ovmf.sev_sections[i].size / kPageSize;
    if (section_pages > kMaxSnpSectionPages) {
      return fail(Code::kInvalidArgument, "SEV metadata sections up to {} add more than {} pages",
                  i, kMaxSnpSectionPages);
    }
    has_kernel_hashes_section |= ovmf.sev_sections[i].type == SevSectionType::kSnpKernelHashes;
  }
  if (config.kernel_hashes && !has_kernel_hashes_section) {
    return fail(Code::kInvalidArgument,
                "a kernel is given but the firmware has no SNP_KERNEL_HASHES section: measured "
                "direct boot needs an AmdSev OVMF build (OVMF.amdsev.fd)");
  }

  snp::LaunchDigest ld;
  ld.updateNormalPages(ovmf.gpa(), ovmf.firmware);
  for (const SevSection& s : ovmf.sev_sections) {
    switch (s.type) {
      case SevSectionType::kSnpSecMem:
      case SevSectionType::kSvsmCaa:
        ld.updateEmptyPages(PageType::kZero, s.gpa, s.size);
        break;
      case SevSectionType::kSnpSecrets:
        ld.updateEmptyPages(PageType::kSecrets, s.gpa, kPageSize);
        break;
      case SevSectionType::kCpuid:
        ld.updateEmptyPages(PageType::kCpuid, s.gpa, kPageSize);
        break;
      case SevSectionType::kSnpKernelHashes:
        if (config.kernel_hashes) {
          COCOON_TRY(measureKernelHashes(ld, ovmf, s, *config.kernel_hashes));
        } else {
          ld.updateEmptyPages(PageType::kZero, s.gpa, s.size);
        }
        break;
    }
  }
  const snp::VmsaPage bsp =
      snp::buildVmsa(snp::kBspResetEip, config.guest_features, config.vcpu_signature);
  ld.updateVmsaPage(bsp);
  if (config.vcpus > 1) {
    const snp::VmsaPage ap =
        snp::buildVmsa(*ovmf.sev_es_reset_eip, config.guest_features, config.vcpu_signature);
    for (std::uint32_t i = 1; i < config.vcpus; ++i) {
      ld.updateVmsaPage(ap);
    }
  }
  return ld.digest();
}

}  // namespace cocoon::measure
