// SPDX-License-Identifier: Apache-2.0
// MRTD over the TDVF sections: the SHA-384 input of TDH.MEM.PAGE.ADD and TDH.MR.EXTEND.
#include "measure/tdx.h"

#include <algorithm>
#include <string_view>

#include "crypto/digest.h"

namespace cocoon::measure {
namespace {

constexpr std::uint64_t kPageSize = 4096;
constexpr std::size_t kExtendChunk = 256;
constexpr std::size_t kBufferSize = 128;

// The 128-byte buffer the TDX module hashes for PAGE.ADD and MR.EXTEND (TDX module ABI,
// TDH.MEM.PAGE.ADD / TDH.MR.EXTEND "MRTD extension"): ASCII operation, GPA at byte 16.
std::array<std::uint8_t, kBufferSize> operationBuffer(std::string_view operation,
                                                      std::uint64_t gpa) {
  std::array<std::uint8_t, kBufferSize> buf{};
  std::copy(operation.begin(), operation.end(), buf.begin());
  for (std::size_t i = 0; i < 8; ++i) {
    buf.at(16 + i) = static_cast<std::uint8_t>(gpa >> (8 * i));
  }
  return buf;
}

Status checkSection(const TdxSection& s, std::size_t index, std::size_t firmware_size) {
  const std::string_view name = tdxSectionName(s.type);
  if (s.memory_address % kPageSize != 0 || s.memory_data_size % kPageSize != 0) {
    return fail(Code::kInvalidArgument,
                "TDX section {} ({}): memory {:#x} size {:#x} is not 4 KiB aligned", index, name,
                s.memory_address, s.memory_data_size);
  }
  if (s.memory_address + s.memory_data_size < s.memory_address) {
    return fail(Code::kInvalidArgument, "TDX section {} ({}): memory {:#x} size {:#x} wraps", index,
                name, s.memory_address, s.memory_data_size);
  }
  if (s.raw_data_size > s.memory_data_size) {
    return fail(Code::kInvalidArgument,
                "TDX section {} ({}): raw data of {:#x} bytes exceeds its memory of {:#x}", index,
                name, s.raw_data_size, s.memory_data_size);
  }
  if (std::uint64_t{s.data_offset} + s.raw_data_size > firmware_size) {
    return fail(Code::kInvalidArgument,
                "TDX section {} ({}): raw data [{:#x}, {:#x}) lies outside the {:#x}-byte "
                "firmware (a split OVMF_CODE.fd needs its OVMF_VARS.fd in front)",
                index, name, s.data_offset, std::uint64_t{s.data_offset} + s.raw_data_size,
                firmware_size);
  }
  return okStatus();
}

class MrtdBuilder {
 public:
  explicit MrtdBuilder(ByteSpan firmware) : firmware_(firmware) {}

  void pageAdd(const TdxSection& s, std::uint64_t page) {
    if ((s.attributes & kTdxAttributePageAug) == 0) {
      hasher_.update(operationBuffer("MEM.PAGE.ADD", s.memory_address + page * kPageSize));
    }
  }

  void extend(const TdxSection& s, std::uint64_t page) {
    if ((s.attributes & kTdxAttributeMrExtend) == 0) {
      return;
    }
    for (std::uint64_t off = page * kPageSize; off < (page + 1) * kPageSize; off += kExtendChunk) {
      hasher_.update(operationBuffer("MR.EXTEND", s.memory_address + off));
      std::array<std::uint8_t, kExtendChunk> chunk{};
      if (off < s.raw_data_size) {
        const std::size_t n = std::min<std::uint64_t>(kExtendChunk, s.raw_data_size - off);
        auto raw = firmware_.subspan(s.data_offset + off, n);
        std::copy(raw.begin(), raw.end(), chunk.begin());
      }
      hasher_.update(chunk);
    }
  }

  Sha384 finish() {
    Bytes d = hasher_.finish();
    Sha384 out{};
    std::copy(d.begin(), d.end(), out.begin());
    return out;
  }

 private:
  ByteSpan firmware_;
  crypto::Hasher hasher_{crypto::DigestAlgorithm::kSha384};
};

}  // namespace

Result<Sha384> tdxMrtd(const OvmfImage& tdvf, TdxPageAddOrder order) {
  if (tdvf.tdx_sections.empty()) {
    return fail(Code::kInvalidArgument,
                "firmware has no TDX metadata (footer entry {}): not a TDVF / TDX-capable OVMF",
                guidToText(kTdxMetadataOffsetGuid));
  }
  std::uint64_t total_pages = 0;
  for (std::size_t i = 0; i < tdvf.tdx_sections.size(); ++i) {
    const TdxSection& s = tdvf.tdx_sections[i];
    COCOON_TRY(checkSection(s, i, tdvf.firmware.size()));
    total_pages += s.memory_data_size / kPageSize;
    if (total_pages > kMaxTdxMeasuredPages) {
      return fail(Code::kInvalidArgument, "TDX sections up to {} ({}) add more than {} pages", i,
                  tdxSectionName(s.type), kMaxTdxMeasuredPages);
    }
  }
  MrtdBuilder mrtd(tdvf.firmware);
  for (const TdxSection& s : tdvf.tdx_sections) {
    const std::uint64_t pages = s.memory_data_size / kPageSize;
    if (order == TdxPageAddOrder::kSinglePass) {
      for (std::uint64_t p = 0; p < pages; ++p) {
        mrtd.pageAdd(s, p);
        mrtd.extend(s, p);
      }
    } else {
      for (std::uint64_t p = 0; p < pages; ++p) {
        mrtd.pageAdd(s, p);
      }
      for (std::uint64_t p = 0; p < pages; ++p) {
        mrtd.extend(s, p);
      }
    }
  }
  return mrtd.finish();
}

}  // namespace cocoon::measure
