// SPDX-License-Identifier: Apache-2.0
// openDecompressor: magic-byte check, then the gzip, zstd or pass-through source.
#include "image/layer/decompress.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "common/encoding.h"
#include "image/layer/codec/decoder_source.h"
#include "image/layer/codec/gzip_source.h"
#include "image/layer/codec/zstd_source.h"

namespace cocoon::image::layer {
namespace {

// Room for the longest gzip header plus the start of the deflate data.
constexpr std::size_t kMinGzipInputBuffer = 2 * codec::GzipSource::kMaxHeaderBytes;

constexpr std::array<std::uint8_t, 2> kGzipMagic = {0x1f, 0x8b};              // RFC 1952 §2.3.1
constexpr std::array<std::uint8_t, 4> kZstdMagic = {0x28, 0xb5, 0x2f, 0xfd};  // RFC 8878 §3.1.1

bool startsWith(ByteSpan data, ByteSpan magic) {
  return data.size() >= magic.size() && std::equal(magic.begin(), magic.end(), data.begin());
}

// RFC 8878 §3.1.2: skippable frames have the magic 0x184D2A5? (little-endian) and may
// come first in a zstd stream.
bool isZstdSkippable(ByteSpan data) {
  return data.size() >= 4 && (data[0] & 0xf0) == 0x50 && data[1] == 0x2a && data[2] == 0x4d &&
         data[3] == 0x18;
}

Compression sniff(ByteSpan head) {
  if (startsWith(head, kGzipMagic)) {
    return Compression::kGzip;
  }
  if (startsWith(head, kZstdMagic) || isZstdSkippable(head)) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

ByteSpan magicOf(Compression compression) {
  return compression == Compression::kGzip ? ByteSpan(kGzipMagic) : ByteSpan(kZstdMagic);
}

// The stream is shorter than the magic but agrees with it so far: it was cut off.
bool isTruncatedMagic(Compression declared, ByteSpan head) {
  const ByteSpan magic = magicOf(declared);
  return head.size() < magic.size() && std::equal(head.begin(), head.end(), magic.begin());
}

Error mismatch(Compression declared, Compression found, ByteSpan head) {
  if (found != Compression::kNone) {
    return makeError(Code::kInvalidArgument,
                     "layer is declared {} but its stream starts with the {} magic {}",
                     compressionName(declared), compressionName(found),
                     hexEncode(head.first(magicOf(found).size())));
  }
  return makeError(Code::kInvalidArgument,
                   "layer is declared {} but its stream does not start with the {} magic {} "
                   "(found {})",
                   compressionName(declared), compressionName(declared),
                   hexEncode(magicOf(declared)), head.empty() ? "no bytes" : hexEncode(head));
}

// kNone: replays the bytes read for the magic check, then reads straight from the source.
class PlainSource final : public ByteSource {
 public:
  PlainSource(ByteSource& in, ByteSpan head, std::uint64_t max_output)
      : in_(&in), head_size_(head.size()), budget_(max_output) {
    std::copy(head.begin(), head.end(), head_.begin());
  }

  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    std::size_t n = 0;
    if (head_used_ < head_size_) {
      n = std::min(out.size(), head_size_ - head_used_);
      std::memcpy(out.data(), head_.data() + head_used_, n);
      head_used_ += n;
    } else {
      COCOON_ASSIGN_OR_RETURN(n, in_->read(out));
    }
    COCOON_TRY(budget_.add(n));
    return n;
  }

 private:
  ByteSource* in_;
  std::array<std::uint8_t, 4> head_{};
  std::size_t head_size_;
  std::size_t head_used_ = 0;
  codec::OutputBudget budget_;
};

}  // namespace

std::string_view compressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

Result<std::unique_ptr<ByteSource>> openDecompressor(Compression declared, ByteSource& in,
                                                     const DecompressLimits& limits) {
  std::array<std::uint8_t, 4> buffer{};
  COCOON_ASSIGN_OR_RETURN(std::size_t n, readFull(in, buffer));
  const ByteSpan head(buffer.data(), n);
  const Compression found = sniff(head);
  if (found != declared) {
    if (declared != Compression::kNone && isTruncatedMagic(declared, head)) {
      return fail(Code::kDataLoss, "truncated {} stream: input ends at offset {}",
                  compressionName(declared), n);
    }
    return fail(mismatch(declared, found, head));
  }
  switch (declared) {
    case Compression::kNone:
      return std::make_unique<PlainSource>(in, head, limits.max_output_bytes);
    case Compression::kGzip: {
      COCOON_ASSIGN_OR_RETURN(
          auto gzip, codec::GzipSource::create(
                         codec::InputBuffer(
                             in, head, std::max(limits.input_buffer_bytes, kMinGzipInputBuffer)),
                         limits.max_output_bytes));
      return gzip;
    }
    case Compression::kZstd: {
      COCOON_ASSIGN_OR_RETURN(
          auto zstd,
          codec::ZstdSource::create(codec::InputBuffer(in, head, limits.input_buffer_bytes),
                                    limits.max_output_bytes, limits.max_zstd_window_log));
      return zstd;
    }
  }
  return fail(Code::kInvalidArgument, "unknown compression {}", static_cast<int>(declared));
}

}  // namespace cocoon::image::layer
