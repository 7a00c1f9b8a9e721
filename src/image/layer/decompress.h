// SPDX-License-Identifier: Apache-2.0
// Streaming decompression of layer blobs (gzip through isa-l, zstd), with the declared
// compression confirmed by the stream's magic bytes and a cap against decompression bombs.
// Trust: the compressed stream comes from an untrusted registry; its digest may already
// have been checked, but a well-signed image can still carry a hostile or broken blob.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "image/layer/byte_source.h"
#include "image/oci/media_types.h"

namespace cocoon::image::layer {

// The compression of a layer, as its media type declares it (oci::parseLayerMediaType).
using Compression = oci::Compression;

// "none", "gzip", "zstd".
std::string_view compressionName(Compression compression);

struct DecompressLimits {
  // Cap on the bytes a decompressor produces (the uncompressed layer size). Also applies
  // to kNone, so every layer has the same cap.
  std::uint64_t max_output_bytes = std::uint64_t{8} << 30;
  // Largest zstd window accepted, as log2 bytes: the decoder holds one window in memory.
  // 27 (128 MiB) is libzstd's own default, so every stream the zstd CLI writes without
  // --long=28 or more decodes; lower it where memory is scarcer than compatibility.
  int max_zstd_window_log = 27;
  // Size of each decompressor's compressed-input buffer (gzip uses at least 8 KiB, room
  // for a member header of up to 4 KiB).
  std::size_t input_buffer_bytes = std::size_t{64} * 1024;
};

// Opens a decompressor over `in`: a ByteSource that yields the uncompressed stream.
// Reads the first bytes of `in` now to confirm the declared compression by its magic:
// gzip 1f 8b (RFC 1952 §2.3.1), zstd 28 b5 2f fd or a skippable frame (RFC 8878 §3.1),
// and for kNone a stream that starts with neither.
// gzip: any number of concatenated members (RFC 1952 §2.2), each with its CRC-32 and
// length checked; anything after the last member is rejected. zstd: any number of frames;
// content checksums are checked when present.
// Borrows `in`, which must outlive the returned source. The source is not thread-safe.
// Errors, now or from read():
//   - kInvalidArgument: the magic contradicts `declared` (the message names both);
//   - kDataLoss: "truncated gzip stream" / "truncated zstd stream" when `in` ends early,
//     and corrupt data (bad block, CRC or length mismatch, trailing data) with the
//     library's reason and the compressed offset;
//   - kResourceExhausted: more than max_output_bytes of output, or a zstd window larger
//     than 2^max_zstd_window_log (the message names the limit);
//   - errors of `in` pass through unchanged.
Result<std::unique_ptr<ByteSource>> openDecompressor(Compression declared, ByteSource& in,
                                                     const DecompressLimits& limits = {});

}  // namespace cocoon::image::layer
