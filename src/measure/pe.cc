// SPDX-License-Identifier: Apache-2.0
// PE/COFF header walk for the Authenticode digest ranges.
#include "measure/pe.h"

#include <algorithm>

#include "crypto/digest.h"

namespace cocoon::measure {
namespace {

constexpr std::size_t kLfanewOffset = 0x3c;
constexpr std::size_t kCoffHeaderSize = 20;
constexpr std::size_t kSectionHeaderSize = 40;
constexpr std::size_t kCheckSumOffset = 64;  // in the optional header, PE32 and PE32+
constexpr std::size_t kSizeOfHeadersOffset = 60;
constexpr std::uint32_t kSecurityDirectory = 4;
constexpr std::uint16_t kPe32Magic = 0x10b;
constexpr std::uint16_t kPe32PlusMagic = 0x20b;

// A little-endian field of `pe`, or an error naming it.
template <class T>
Result<T> fieldAt(ByteSpan pe, std::size_t offset, std::string_view field) {
  if (offset > pe.size() || pe.size() - offset < sizeof(T)) {
    return fail(Code::kInvalidArgument, "PE {} at offset {:#x} lies outside the {}-byte file",
                field, offset, pe.size());
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= std::uint64_t{pe[offset + i]} << (8 * i);
  }
  return static_cast<T>(v);
}

struct Section {
  std::uint32_t pointer_to_raw_data = 0;
  std::uint32_t size_of_raw_data = 0;
};

}  // namespace

Result<std::vector<ByteSpan>> peAuthenticodeRanges(ByteSpan pe) {
  COCOON_ASSIGN_OR_RETURN(std::uint16_t mz, fieldAt<std::uint16_t>(pe, 0, "DOS signature"));
  if (mz != 0x5a4d) {
    return fail(Code::kInvalidArgument,
                "PE DOS signature at offset 0: expected \"MZ\", found {:#06x}", mz);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint32_t lfanew,
                          fieldAt<std::uint32_t>(pe, kLfanewOffset, "e_lfanew"));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t signature, fieldAt<std::uint32_t>(pe, lfanew, "signature"));
  if (signature != 0x00004550) {
    return fail(Code::kInvalidArgument,
                "PE signature at offset {:#x}: expected \"PE\\0\\0\", found {:#010x}", lfanew,
                signature);
  }
  const std::size_t coff = std::size_t{lfanew} + 4;
  COCOON_ASSIGN_OR_RETURN(std::uint16_t sections,
                          fieldAt<std::uint16_t>(pe, coff + 2, "NumberOfSections"));
  COCOON_ASSIGN_OR_RETURN(std::uint16_t opt_size,
                          fieldAt<std::uint16_t>(pe, coff + 16, "SizeOfOptionalHeader"));
  const std::size_t opt = coff + kCoffHeaderSize;
  COCOON_ASSIGN_OR_RETURN(std::uint16_t magic,
                          fieldAt<std::uint16_t>(pe, opt, "optional header Magic"));
  if (magic != kPe32Magic && magic != kPe32PlusMagic) {
    return fail(Code::kInvalidArgument,
                "PE optional header Magic at offset {:#x}: expected 0x10b or 0x20b, found {:#x}",
                opt, magic);
  }
  const std::size_t directories_count_at = opt + (magic == kPe32Magic ? 92 : 108);
  COCOON_ASSIGN_OR_RETURN(std::uint32_t directories,
                          fieldAt<std::uint32_t>(pe, directories_count_at, "NumberOfRvaAndSizes"));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t size_of_headers,
                          fieldAt<std::uint32_t>(pe, opt + kSizeOfHeadersOffset, "SizeOfHeaders"));
  const std::size_t section_table = opt + opt_size;
  const std::size_t section_table_end = section_table + sections * kSectionHeaderSize;
  if (size_of_headers > pe.size() || section_table_end > pe.size()) {
    return fail(Code::kInvalidArgument,
                "PE SizeOfHeaders {:#x} or section table end {:#x} lies outside the {}-byte file",
                size_of_headers, section_table_end, pe.size());
  }
  const std::size_t checksum = opt + kCheckSumOffset;
  std::vector<ByteSpan> ranges;
  std::uint32_t cert_size = 0;
  if (directories > kSecurityDirectory) {
    const std::size_t security = directories_count_at + 4 + 8 * kSecurityDirectory;
    COCOON_ASSIGN_OR_RETURN(cert_size,
                            fieldAt<std::uint32_t>(pe, security + 4, "Certificate Table size"));
    if (security + 8 > size_of_headers) {
      return fail(Code::kInvalidArgument,
                  "PE Certificate Table entry at {:#x} lies past SizeOfHeaders {:#x}", security,
                  size_of_headers);
    }
    ranges.push_back(pe.subspan(0, checksum));
    ranges.push_back(pe.subspan(checksum + 4, security - checksum - 4));
    ranges.push_back(pe.subspan(security + 8, size_of_headers - security - 8));
  } else {
    if (checksum + 4 > size_of_headers) {
      return fail(Code::kInvalidArgument, "PE CheckSum at {:#x} lies past SizeOfHeaders {:#x}",
                  checksum, size_of_headers);
    }
    ranges.push_back(pe.subspan(0, checksum));
    ranges.push_back(pe.subspan(checksum + 4, size_of_headers - checksum - 4));
  }
  std::vector<Section> table;
  for (std::size_t i = 0; i < sections; ++i) {
    const std::size_t at = section_table + i * kSectionHeaderSize;
    Section s;
    COCOON_ASSIGN_OR_RETURN(s.size_of_raw_data,
                            fieldAt<std::uint32_t>(pe, at + 16, "SizeOfRawData"));
    COCOON_ASSIGN_OR_RETURN(s.pointer_to_raw_data,
                            fieldAt<std::uint32_t>(pe, at + 20, "PointerToRawData"));
    if (s.size_of_raw_data == 0) {
      continue;
    }
    if (std::uint64_t{s.pointer_to_raw_data} + s.size_of_raw_data > pe.size()) {
      return fail(Code::kInvalidArgument,
                  "PE section {} raw data [{:#x}, +{:#x}) lies outside the {}-byte file", i,
                  s.pointer_to_raw_data, s.size_of_raw_data, pe.size());
    }
    table.push_back(s);
  }
  std::stable_sort(table.begin(), table.end(), [](const Section& a, const Section& b) {
    return a.pointer_to_raw_data < b.pointer_to_raw_data;
  });
  std::uint64_t hashed = size_of_headers;
  for (const Section& s : table) {
    ranges.push_back(pe.subspan(s.pointer_to_raw_data, s.size_of_raw_data));
    hashed += s.size_of_raw_data;
  }
  // Trailing data: what lies between the hashed bytes and the certificate table.
  if (pe.size() > hashed + cert_size) {
    ranges.push_back(pe.subspan(hashed, pe.size() - cert_size - hashed));
  }
  return ranges;
}

Result<Sha384> peAuthenticodeSha384(ByteSpan pe) {
  COCOON_ASSIGN_OR_RETURN(std::vector<ByteSpan> ranges, peAuthenticodeRanges(pe));
  crypto::Hasher hasher(crypto::DigestAlgorithm::kSha384);
  for (ByteSpan r : ranges) {
    hasher.update(r);
  }
  Bytes d = hasher.finish();
  Sha384 out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

}  // namespace cocoon::measure
