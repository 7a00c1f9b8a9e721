// SPDX-License-Identifier: Apache-2.0
// What the node offers: which TEEs a sandbox can use here, each with the checks that
// decided it, read from a root directory ("/" on a real host, a captured tree in tests).
// Trust: the files read belong to the local kernel and the node's administrator.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/tee/qemu_tee_config.h"

namespace cocoon::runtime::tee {

// Firmware images, as absolute paths on the host (looked up under DetectOptions::root).
// The defaults are where Debian's ovmf package installs its builds.
struct FirmwarePaths {
  std::filesystem::path ovmf_amdsev = "/usr/share/ovmf/OVMF.amdsev.fd";  // SEV, SEV-ES, SNP
  std::filesystem::path tdvf = "/usr/share/ovmf/OVMF.inteltdx.fd";       // TDX
  std::filesystem::path ovmf = "/usr/share/ovmf/OVMF.fd";  // vtpm/none when not direct boot
};

// The memory-encryption parameters of AMD CPUID Fn8000_001F EBX (AMD APM vol. 3,
// "Function 8000_001Fh"): bits 5:0 the C-bit position, bits 11:6 the physical address
// bits lost to encryption. QEMU's sev-guest and sev-snp-guest take both.
struct SevCpuid {
  std::uint32_t cbitpos = 51;
  std::uint32_t reduced_phys_bits = 1;
};

// Reads SevCpuid from this CPU, or nullopt when the CPU has no Fn8000_001F leaf or
// reports no SEV support (EAX bit 1).
std::optional<SevCpuid> readSevCpuid();

struct DetectOptions {
  std::filesystem::path root = "/";
  FirmwarePaths firmware;
  std::filesystem::path swtpm = "/usr/bin/swtpm";
  // The CPU's SEV parameters; detectHost leaves HostReport::sev_cpuid empty when unset.
  // Production callers pass readSevCpuid() when root is "/".
  std::optional<SevCpuid> sev_cpuid;
};

// One requirement of a TEE and whether the host meets it, in words an operator can act
// on: {"kvm_amd parameter sev_snp is Y", true}, {"/dev/sev is missing", false}.
struct Check {
  std::string what;
  bool ok = false;
};

struct TeeSupport {
  TeeKind kind = TeeKind::kNone;
  bool usable = false;  // every check passed
  std::vector<Check> checks;
};

struct HostReport {
  bool kvm = false;        // /dev/kvm exists and this process may open it read-write
  std::string cpu_vendor;  // "AuthenticAMD", "GenuineIntel", or empty when unknown
  std::optional<SevCpuid> sev_cpuid;
  std::vector<TeeSupport> tees;  // every kind, in kTeePreference order

  // The entry of `kind` (always present in a report from detectHost).
  const TeeSupport& support(TeeKind kind) const;
};

// Inspects the host under `options.root`:
//   - /dev/kvm (present, readable and writable) for every hardware TEE;
//   - /sys/module/kvm_amd/parameters/{sev,sev_es,sev_snp} and
//     /sys/module/kvm_intel/parameters/tdx ("Y"/"1" on, "N"/"0" off);
//   - /dev/sev (the AMD PSP driver, needed by SEV, SEV-ES and SNP);
//   - the first "flags" line of /proc/cpuinfo (sev, sev_es, sev_snp, tdx_host_platform);
//   - the firmware files and the swtpm binary (present; swtpm executable).
// Never fails: a file that is missing or unreadable fails the checks that need it, and
// the check says which file and why. Not thread-safe with respect to changes of the tree.
HostReport detectHost(const DetectOptions& options);

// Kubernetes node labels for the report: "cocoon.io/tee.<kind>" = "true"|"false" for
// every kind but none, and "cocoon.io/kvm" = "true"|"false", sorted by key.
std::vector<std::pair<std::string, std::string>> nodeLabels(const HostReport& report);

}  // namespace cocoon::runtime::tee
