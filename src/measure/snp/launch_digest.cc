// SPDX-License-Identifier: Apache-2.0
// PAGE_INFO layout and the SHA-384 chain of the SEV-SNP launch digest.
#include "measure/snp/launch_digest.h"

#include <algorithm>
#include <cstdlib>

#include "crypto/digest.h"

namespace cocoon::measure::snp {
namespace {

// Callers validate alignment before measuring; a violation here is a programmer error.
void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

Digest sha384Of(ByteSpan data) {
  Bytes d = crypto::sha384(data);
  Digest out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

}  // namespace

std::array<std::uint8_t, kPageInfoSize> pageInfo(const Digest& digest_cur, const Digest& contents,
                                                 PageType type, std::uint64_t gpa) {
  std::array<std::uint8_t, kPageInfoSize> info{};
  auto* out = std::copy(digest_cur.begin(), digest_cur.end(), info.begin());
  out = std::copy(contents.begin(), contents.end(), out);
  *out++ = static_cast<std::uint8_t>(kPageInfoSize & 0xff);
  *out++ = static_cast<std::uint8_t>(kPageInfoSize >> 8);
  *out++ = static_cast<std::uint8_t>(type);
  // IMI_PAGE, VMPL3_PERMS, VMPL2_PERMS, VMPL1_PERMS and the reserved byte stay 0.
  out += 5;
  for (int i = 0; i < 8; ++i) {
    *out++ = static_cast<std::uint8_t>(gpa >> (8 * i));
  }
  return info;
}

void LaunchDigest::update(PageType type, std::uint64_t gpa, const Digest& contents) {
  digest_ = sha384Of(pageInfo(digest_, contents, type, gpa));
}

void LaunchDigest::updateNormalPages(std::uint64_t gpa, ByteSpan data) {
  check(data.size() % kPageSize == 0);
  for (std::size_t off = 0; off < data.size(); off += kPageSize) {
    update(PageType::kNormal, gpa + off, sha384Of(data.subspan(off, kPageSize)));
  }
}

void LaunchDigest::updateEmptyPages(PageType type, std::uint64_t gpa, std::uint64_t size) {
  check(size % kPageSize == 0);
  for (std::uint64_t off = 0; off < size; off += kPageSize) {
    update(type, gpa + off, Digest{});
  }
}

void LaunchDigest::updateVmsaPage(ByteSpan page) {
  check(page.size() == kPageSize);
  update(PageType::kVmsa, kVmsaGpa, sha384Of(page));
}

}  // namespace cocoon::measure::snp
