// SPDX-License-Identifier: Apache-2.0
// TEE launch backends: one per TEE kind, each turning a sandbox's launch request into
// the QEMU options of its TEE (QemuTeeConfig) and predicting the launch measurement the
// VM will have; and the choice of a kind from what was requested and what the host has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "runtime/tee/detect.h"
#include "runtime/tee/initdata.h"
#include "runtime/tee/qemu_tee_config.h"

namespace cocoon::runtime::tee {

// The PCR a vtpm guest extends with the init-data digest before it uses the init-data
// (PCR 8: the first the TCG PC Client spec leaves to the OS).
inline constexpr int kInitDataPcr = 8;
// The kernel parameter that carries the init-data digest ("<alg>:<hex>") where no TEE
// field holds it (sev, sev-es: measured with the command line through kernel-hashes;
// vtpm: extended into kInitDataPcr; none: informational).
inline constexpr std::string_view kInitDataKernelParameter = "cocoon.initdata";

// Host-wide options of the backends, from the runtime config and detection.
struct TeeOptions {
  FirmwarePaths firmware;
  std::filesystem::path swtpm = "/usr/bin/swtpm";
  // vtpm: a swtpm state directory copied into each sandbox's state (one TPM identity the
  // owner can trust); empty: a fresh TPM, with a random endorsement seed, per sandbox.
  std::filesystem::path swtpm_state_template;
  // C-bit position and reduced physical bits for sev-guest / sev-snp-guest. 51 and 1 are
  // what EPYC Milan and Genoa report; pass HostReport::sev_cpuid when detected.
  SevCpuid sev_cpuid;
  // SNP guest policy (SNP ABI spec, "Guest Policy"): bit 17 must be 1, bit 16 allows SMT;
  // debug (bit 19) stays off. 0x30000 is Kata's and QEMU's default.
  std::uint64_t snp_policy = 0x30000;
  // SEV guest policy (SEV API spec, "Guest Policy"): bit 0 NODBG; SEV-ES adds bit 2 ES.
  std::uint32_t sev_policy = 0x1;
  std::uint32_t sev_es_policy = 0x5;
  // Where a TDX guest's GetQuote requests go: the host's Quote Generation Service on
  // vsock (CID 2 is the host; 4050 is QGS's default port).
  std::uint32_t qgs_vsock_cid = 2;
  std::uint32_t qgs_vsock_port = 4050;
};

// What one sandbox's launch needs from its backend.
struct LaunchRequest {
  // Bound into HOST_DATA (snp), MRCONFIGID (tdx), the measured command line (sev,
  // sev-es) or a PCR (vtpm); absent = nothing bound (the guest then gets no init-data).
  std::optional<InitDataDigest> init_data;
  // An existing directory private to the sandbox, for helper state and sockets (vtpm).
  std::filesystem::path state_dir;
};

// The direct-boot inputs of a VM, for predicting its launch measurement.
struct MeasurementInputs {
  ByteSpan firmware;
  ByteSpan kernel;  // empty: no measured direct boot
  ByteSpan initrd;
  std::string cmdline;  // the complete command line, kernel_parameters included
  std::uint32_t vcpus = 1;
  std::string vcpu_type = "EPYC-v4";  // QEMU -cpu model (snp: its CPUID signature is measured)
};

// A launch measurement as the TEE's evidence reports it.
struct LaunchMeasurement {
  std::string field;  // "measurement" (SNP report) or "mr_td" (TDX quote)
  Bytes value;
};

// A TEE's launch logic. Implementations are immutable after construction and safe to
// use from several threads.
class TeeBackend {
 public:
  virtual ~TeeBackend() = default;

  virtual TeeKind kind() const = 0;

  // The QEMU options of a VM of this kind for `request`. The init-data digest goes into
  // the TEE's field as initDataBinding() shapes it.
  // Errors (vtpm only): kInvalidArgument without a state_dir or for a digest that is not
  // sha256 (PCR 8 is extended in the SHA-256 bank).
  virtual Result<QemuTeeConfig> configure(const LaunchRequest& request) const = 0;

  // The launch measurement a VM started from `inputs` will report.
  // Errors: kUnimplemented for kinds whose measurement cannot be predicted here (sev,
  // sev-es: keyed by the platform's TIK; vtpm: PCRs; none); otherwise those of
  // measure::parseOvmf, snpLaunchDigest, cpuSignatureOf and tdxMrtd (kInvalidArgument).
  virtual Result<LaunchMeasurement> expectedMeasurement(const MeasurementInputs& inputs) const = 0;
};

// The init-data algorithm whose digest fills the TEE's field exactly: sha256 for snp
// (32-byte HOST_DATA), vtpm (SHA-256 PCR bank), sev, sev-es and none; sha384 for tdx
// (48-byte MRCONFIGID).
crypto::DigestAlgorithm initDataAlgorithm(TeeKind kind);

// The backend of `kind`.
std::unique_ptr<TeeBackend> makeTeeBackend(TeeKind kind, const TeeOptions& options);

// The kind to launch for `requested` ("auto" or a kind name) on the host of `report`.
// "auto" picks the first usable kind in kTeePreference order but never none. A named kind
// must be usable itself: there is no fallback, least of all from a confidential kind.
// Errors: kInvalidArgument for an unknown name; kFailedPrecondition when the kind (or,
// for "auto", every kind) is not usable, naming the failed checks of each.
Result<TeeKind> chooseTee(std::string_view requested, const HostReport& report);

}  // namespace cocoon::runtime::tee
