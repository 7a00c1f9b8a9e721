// SPDX-License-Identifier: Apache-2.0
// Where the guest's TEE interfaces live (configfs-tsm, /dev/sev-guest, /dev/tdx_guest,
// the TPM, the CCEL table) and which TEE this guest has: detectTee().
//
// Trust: these are the guest kernel's interfaces; what they return is passed on as evidence
// for the remote verifier, after bounds-checked parsing (attest/snp, attest/tdx).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"
#include "kbs_protocol/tee.h"

namespace cocoon::attest {

// Creates and removes configfs-tsm report entries. The production implementation is
// mkdir/rmdir, after which the kernel fills the entry with its attribute files; tests pass
// a fake that populates a plain directory with captured answers. Implementations must be
// thread-safe if one TeeEnvironment is shared by several attesters.
class TsmEntryOps {
 public:
  virtual ~TsmEntryOps() = default;
  // Creates the entry directory `entry`. Errors: the errno of mkdir, mapped.
  virtual Status makeEntry(const std::filesystem::path& entry) = 0;
  // Removes the entry (rmdir; on configfs that also drops its attribute files).
  virtual Status removeEntry(const std::filesystem::path& entry) = 0;
};

// The kernel's configfs: ::mkdir(entry, 0700) and ::rmdir(entry).
TsmEntryOps& kernelTsmEntryOps();

// The guest's TEE interfaces. Every path is below `root` so that tests can point the
// attesters at a temp directory holding captured answers.
struct TeeEnvironment {
  std::filesystem::path root = "/";
  // null: kernelTsmEntryOps(). Not owned; must outlive the attesters using it.
  TsmEntryOps* tsm_ops = nullptr;

  std::filesystem::path tsmReportDir() const { return root / "sys/kernel/config/tsm/report"; }
  std::filesystem::path sevGuestDevice() const { return root / "dev/sev-guest"; }
  std::filesystem::path tdxGuestDevice() const { return root / "dev/tdx_guest"; }
  std::filesystem::path tpmDevice() const { return root / "dev/tpmrm0"; }
  std::filesystem::path ccelTable() const { return root / "sys/firmware/acpi/tables/data/CCEL"; }
  TsmEntryOps& tsmOps() const { return tsm_ops != nullptr ? *tsm_ops : kernelTsmEntryOps(); }
};

// How an attester reaches its TEE.
enum class TeeInterface : std::uint8_t {
  kConfigfsTsm,  // /sys/kernel/config/tsm/report (kernel 6.7+), snp and tdx
  kDevice,       // /dev/sev-guest ioctls, or /dev/tdx_guest + the host's QGS over vsock
  kTpm,          // /dev/tpmrm0 through tpm2-tss
  kSample,       // no TEE: the development-only sample evidence
};

std::string_view teeInterfaceName(TeeInterface via);

struct DetectedTee {
  kbs_protocol::Tee tee = kbs_protocol::Tee::kSample;
  TeeInterface via = TeeInterface::kSample;
};

// Finds the guest's TEE, in this order: configfs-tsm (a report entry is created, its
// `provider` read — "sev_guest\n" -> snp, "tdx_guest\n" -> tdx — and removed again),
// /dev/sev-guest (snp), /dev/tdx_guest (tdx), /dev/tpmrm0 (tpm), else sample when
// `allow_sample`. A configfs-tsm provider of another TEE (e.g. arm_cca_guest) is skipped.
// Errors: kNotFound when nothing was found and sample is not allowed (the message lists
// the paths looked at); the errno of a configfs entry that could not be created or read.
Result<DetectedTee> detectTee(const TeeEnvironment& env, bool allow_sample);

}  // namespace cocoon::attest
