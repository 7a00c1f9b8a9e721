// SPDX-License-Identifier: Apache-2.0
// The SEV-SNP launch digest: SHA-384 chained over one PAGE_INFO per SNP_LAUNCH_UPDATE.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace cocoon::measure::snp {

using Digest = std::array<std::uint8_t, 48>;

// PAGE_TYPE values of SNP_LAUNCH_UPDATE (SEV-SNP ABI spec, Table "PAGE_TYPE").
enum class PageType : std::uint8_t {
  kNormal = 0x01,
  kVmsa = 0x02,
  kZero = 0x03,
  kUnmeasured = 0x04,
  kSecrets = 0x05,
  kCpuid = 0x06,
};

inline constexpr std::size_t kPageSize = 4096;
inline constexpr std::size_t kPageInfoSize = 0x70;
// The RMP records a VMSA page at GPA (u64)-1, page-aligned with bits 63:52 cleared.
inline constexpr std::uint64_t kVmsaGpa = 0xFFFFFFFFF000;

// The 0x70-byte PAGE_INFO structure (SEV-SNP ABI spec, "PAGE_INFO" in SNP_LAUNCH_UPDATE):
// DIGEST_CUR, CONTENTS, LENGTH (u16), PAGE_TYPE, IMI_PAGE, VMPL3/2/1_PERMS, reserved, GPA.
// IMI_PAGE and the VMPL permissions are 0 for a launch by QEMU.
std::array<std::uint8_t, kPageInfoSize> pageInfo(const Digest& digest_cur, const Digest& contents,
                                                 PageType type, std::uint64_t gpa);

// Accumulates the launch digest, starting from 48 zero bytes. Not thread-safe.
class LaunchDigest {
 public:
  LaunchDigest() = default;
  explicit LaunchDigest(const Digest& seed) : digest_(seed) {}

  // digest = SHA-384(PAGE_INFO(digest, contents, type, gpa)).
  void update(PageType type, std::uint64_t gpa, const Digest& contents);
  // One kNormal update per 4 KiB page of `data` (contents = SHA-384 of the page).
  // REQUIRES: data.size() % kPageSize == 0.
  void updateNormalPages(std::uint64_t gpa, ByteSpan data);
  // One update of `type` with zero contents per page of [gpa, gpa + size).
  // REQUIRES: size % kPageSize == 0.
  void updateEmptyPages(PageType type, std::uint64_t gpa, std::uint64_t size);
  // A kVmsa update at kVmsaGpa. REQUIRES: page.size() == kPageSize.
  void updateVmsaPage(ByteSpan page);

  const Digest& digest() const { return digest_; }

 private:
  Digest digest_{};
};

}  // namespace cocoon::measure::snp
