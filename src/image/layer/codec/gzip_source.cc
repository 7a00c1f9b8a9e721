// SPDX-License-Identifier: Apache-2.0
// GzipSource over isa-l's stateful isal_inflate with gzip wrapper parsing and CRC checks.
#include "image/layer/codec/gzip_source.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "common/byte_reader.h"
#include "common/encoding.h"

namespace cocoon::image::layer::codec {
namespace {

std::string_view inflateReason(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid deflate lookback distance";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "gzip compression method is not deflate";
    case ISAL_INCORRECT_CHECKSUM:
      return "gzip CRC-32 or length does not match the data";
    case ISAL_NEED_DICT:
      return "stream needs a preset dictionary";
    default:
      return "isal_inflate failed";
  }
}

constexpr std::uint8_t kGzipId1 = 0x1f;
constexpr std::uint8_t kGzipId2 = 0x8b;
// RFC 1952 §2.3.1 FLG bits.
constexpr std::uint8_t kFlagHcrc = 0x02;
constexpr std::uint8_t kFlagExtra = 0x04;
constexpr std::uint8_t kFlagName = 0x08;
constexpr std::uint8_t kFlagComment = 0x10;

// RFC 1952 §2.3: the length of the member header at the start of `data`, or nullopt when
// `data` ends inside it. Only measures; isal_inflate checks the fields.
std::optional<std::size_t> headerLength(ByteSpan data) {
  ByteReader reader(data);
  if (!reader.skip(3)) {  // ID1 ID2 CM
    return std::nullopt;
  }
  const auto flags = reader.readU8();
  if (!flags || !reader.skip(6)) {  // MTIME XFL OS
    return std::nullopt;
  }
  if ((*flags & kFlagExtra) != 0) {
    const auto xlen = reader.readU16Le();
    if (!xlen || !reader.skip(*xlen)) {
      return std::nullopt;
    }
  }
  for (const std::uint8_t field : {kFlagName, kFlagComment}) {
    if ((*flags & field) == 0) {
      continue;
    }
    for (;;) {  // zero-terminated
      const auto c = reader.readU8();
      if (!c) {
        return std::nullopt;
      }
      if (*c == 0) {
        break;
      }
    }
  }
  if ((*flags & kFlagHcrc) != 0 && !reader.skip(2)) {
    return std::nullopt;
  }
  return reader.offset();
}

void startMember(const IsalLibrary& isal, inflate_state& state) {
  isal.inflate_reset(&state);
  // Parse the gzip header and verify the CRC-32 and ISIZE trailer of every member.
  state.crc_flag = ISAL_GZIP;
}

}  // namespace

Result<std::unique_ptr<GzipSource>> GzipSource::create(InputBuffer input,
                                                       std::uint64_t max_output) {
  COCOON_ASSIGN_OR_RETURN(const IsalLibrary* isal, loadIsalLibrary());
  return std::make_unique<GzipSource>(*isal, std::move(input), max_output);
}

GzipSource::GzipSource(const IsalLibrary& isal, InputBuffer input, std::uint64_t max_output)
    : DecoderSource("gzip", std::move(input), max_output),
      isal_(isal),
      state_(std::make_unique<inflate_state>()) {
  isal_.inflate_init(state_.get());
  startMember(isal_, *state_);
}

GzipSource::~GzipSource() = default;

bool GzipSource::atBoundary() const {
  return state_->block_state == ISAL_BLOCK_FINISH;
}

Status GzipSource::startNext() {
  // RFC 1952 §2.2: a gzip file is a series of members; only another member may follow.
  InputBuffer& in = input();
  while (in.pending().size() < 2 && !in.eof()) {
    COCOON_TRY(in.refill());
  }
  const ByteSpan head = in.pending();
  if (head.size() == 1 && head[0] == kGzipId1) {
    return fail(truncated());
  }
  if (head.size() < 2 || head[0] != kGzipId1 || head[1] != kGzipId2) {
    return fail(Code::kDataLoss, "trailing data after the gzip stream at offset {} (starts {})",
                in.offset(), hexEncode(head.first(std::min<std::size_t>(head.size(), 4))));
  }
  startMember(isal_, *state_);
  header_pending_ = true;
  return okStatus();
}

Result<DecoderSource::Progress> GzipSource::step(ByteSpan in, std::span<std::uint8_t> out) {
  if (header_pending_) {
    // isal_inflate loses header state when a header arrives in pieces, so it must see
    // each member's whole header in one call (intel/isa-l#224).
    const std::optional<std::size_t> length = headerLength(in);
    if (length.value_or(in.size()) > kMaxHeaderBytes) {
      return fail(Code::kResourceExhausted,
                  "gzip header at offset {} is longer than {} bytes (name or comment field)",
                  input().offset(), kMaxHeaderBytes);
    }
    if (!length) {
      return Progress{};  // read() refills, or reports the truncation at the end of input
    }
    header_pending_ = false;
  }
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  const auto in_size = static_cast<std::uint32_t>(std::min(in.size(), kMax));
  const auto out_size = static_cast<std::uint32_t>(std::min(out.size(), kMax));
  // isa-l takes non-const pointers but does not write to its input.
  state_->next_in = const_cast<std::uint8_t*>(in.data());
  state_->avail_in = in_size;
  state_->next_out = out.data();
  state_->avail_out = out_size;
  const int ret = isal_.inflate(state_.get());
  const Progress progress{in_size - state_->avail_in, out_size - state_->avail_out};
  if (ret < 0 || ret == ISAL_NEED_DICT) {
    return fail(Code::kDataLoss, "corrupt gzip stream near offset {}: {}",
                input().offset() + progress.consumed, inflateReason(ret));
  }
  return progress;
}

}  // namespace cocoon::image::layer::codec
