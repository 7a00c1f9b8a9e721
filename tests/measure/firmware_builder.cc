// SPDX-License-Identifier: Apache-2.0
// Synthetic OVMF images for the measure tests.
#include "measure/firmware_builder.h"

#include <fstream>
#include <iterator>

namespace cocoon::measure::test {
namespace {

void putLe(Bytes& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

void place(Bytes& image, std::size_t at, const Bytes& what) {
  std::copy(what.begin(), what.end(), image.begin() + static_cast<std::ptrdiff_t>(at));
}

// An entry: data, then u16 length, then the GUID (entries are read backwards).
Bytes entry(const Guid& guid, const Bytes& data) {
  Bytes e = data;
  putLe(e, data.size() + 18, 2);
  e.insert(e.end(), guid.begin(), guid.end());
  return e;
}

}  // namespace

Bytes FirmwareBuilder::build() const {
  Bytes image(size_);
  for (std::size_t i = 0; i < size_; ++i) {
    image[i] = static_cast<std::uint8_t>(i * 7 + 3);
  }
  Bytes table;  // in file order: each entry added goes in front, the first one nearest the footer
  auto add = [&table](const Guid& guid, const Bytes& data) {
    Bytes e = entry(guid, data);
    table.insert(table.begin(), e.begin(), e.end());
  };
  if (reset_eip_) {
    Bytes d;
    putLe(d, *reset_eip_, 4);
    add(kSevEsResetBlockGuid, d);
  }
  if (hash_table_) {
    Bytes d;
    putLe(d, hash_table_->gpa, 4);
    putLe(d, hash_table_->size, 4);
    add(kSevHashTableGuid, d);
  }
  if (!sev_.empty()) {
    Bytes meta = {'A', 'S', 'E', 'V'};
    putLe(meta, 16 + 12 * sev_.size(), 4);
    putLe(meta, 1, 4);
    putLe(meta, sev_.size(), 4);
    for (const SevSection& s : sev_) {
      putLe(meta, s.gpa, 4);
      putLe(meta, s.size, 4);
      putLe(meta, static_cast<std::uint32_t>(s.type), 4);
    }
    place(image, kSevMetadataAt, meta);
    Bytes d;
    putLe(d, size_ - kSevMetadataAt, 4);
    add(kSevMetadataGuid, d);
  }
  if (!tdx_.empty()) {
    Bytes meta(kTdxMetadataGuid.begin(), kTdxMetadataGuid.end());
    meta.insert(meta.end(), {'T', 'D', 'V', 'F'});
    putLe(meta, 16 + 32 * tdx_.size(), 4);
    putLe(meta, 1, 4);
    putLe(meta, tdx_.size(), 4);
    for (const TdxSection& s : tdx_) {
      putLe(meta, s.data_offset, 4);
      putLe(meta, s.raw_data_size, 4);
      putLe(meta, s.memory_address, 8);
      putLe(meta, s.memory_data_size, 8);
      putLe(meta, static_cast<std::uint32_t>(s.type), 4);
      putLe(meta, s.attributes, 4);
    }
    place(image, kTdxMetadataAt, meta);
    Bytes d;
    putLe(d, size_ - kTdxMetadataAt - 16, 4);
    add(kTdxMetadataOffsetGuid, d);
  }
  Bytes footer = table;
  putLe(footer, table.size() + 18, 2);
  footer.insert(footer.end(), kFooterTableGuid.begin(), kFooterTableGuid.end());
  place(image, size_ - kFooterTableEndFromEnd - footer.size(), footer);
  return image;
}

Bytes amdSevLikeFirmware() {
  return FirmwareBuilder(0x10000)
      .withResetEip(0x80b004)
      .withHashTable(0x80fc00, 0x400)
      .withSevSection(0x800000, 0x9000, SevSectionType::kSnpSecMem)
      .withSevSection(0x80a000, 0x3000, SevSectionType::kSnpSecMem)
      .withSevSection(0x80d000, 0x1000, SevSectionType::kSnpSecrets)
      .withSevSection(0x80e000, 0x1000, SevSectionType::kCpuid)
      .withSevSection(0x80f000, 0x1000, SevSectionType::kSnpKernelHashes)
      .withSevSection(0x810000, 0xf0000, SevSectionType::kSnpSecMem)
      .build();
}

Bytes testKernel() {
  Bytes b(10000);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<std::uint8_t>(i * 13 + 1);
  }
  return b;
}

Bytes testInitrd() {
  Bytes b(5000);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  }
  return b;
}

Bytes readFileOrEmpty(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace cocoon::measure::test
