// SPDX-License-Identifier: Apache-2.0
// Builds small synthetic OVMF images (footer GUID table, SEV and TDX metadata) for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "measure/ovmf.h"

namespace cocoon::measure::test {

// Lays out an image of `size` bytes: a deterministic filler, the SEV metadata ("ASEV")
// at kSevMetadataAt, the TDX metadata (GUID, "TDVF") at kTdxMetadataAt, and the footer
// table ending 0x20 bytes before the end with the entries asked for (the reset block
// nearest the footer, as edk2 does).
class FirmwareBuilder {
 public:
  static constexpr std::size_t kSevMetadataAt = 0x1000;
  static constexpr std::size_t kTdxMetadataAt = 0x2000;  // the GUID; "TDVF" at +16

  explicit FirmwareBuilder(std::size_t size) : size_(size) {}

  FirmwareBuilder& withResetEip(std::uint32_t eip) {
    reset_eip_ = eip;
    return *this;
  }
  FirmwareBuilder& withHashTable(std::uint32_t gpa, std::uint32_t size) {
    hash_table_ = SevHashTableLocation{gpa, size};
    return *this;
  }
  FirmwareBuilder& withSevSection(std::uint32_t gpa, std::uint32_t size, SevSectionType type) {
    sev_.push_back(SevSection{gpa, size, type});
    return *this;
  }
  FirmwareBuilder& withTdxSection(const TdxSection& s) {
    tdx_.push_back(s);
    return *this;
  }
  Bytes build() const;

 private:
  std::size_t size_;
  std::optional<std::uint32_t> reset_eip_;
  std::optional<SevHashTableLocation> hash_table_;
  std::vector<SevSection> sev_;
  std::vector<TdxSection> tdx_;
};

// A 64 KiB image shaped like edk2's AmdSevX64 build (sections, hash table and reset block
// at the addresses edk2-stable202405 uses), for measured direct boot.
Bytes amdSevLikeFirmware();
// Deterministic stand-ins for a kernel (10000 bytes) and an initrd (5000 bytes).
Bytes testKernel();
Bytes testInitrd();

// Reads a whole file; empty if it does not exist.
Bytes readFileOrEmpty(const char* path);

}  // namespace cocoon::measure::test
