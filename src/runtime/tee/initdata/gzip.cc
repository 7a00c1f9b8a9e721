// SPDX-License-Identifier: Apache-2.0
// zlib-backed gzip for init-data.
#include "runtime/tee/initdata/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace cocoon::runtime::tee::initdata {
namespace {

// windowBits 15 plus 16 selects the gzip wrapper (zlib.h, deflateInit2).
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;
constexpr std::size_t kChunk = 16 * 1024;

// zlib's avail_in is 32-bit; init-data is capped far below that by its callers.
constexpr std::size_t kMaxInput = std::numeric_limits<uInt>::max();

}  // namespace

Result<Bytes> gzipCompress(ByteSpan data) {
  if (data.size() > kMaxInput) {
    return fail(Code::kResourceExhausted, "gzip input of {} bytes is too large", data.size());
  }
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return fail(Code::kInternal, "deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = const_cast<Bytef*>(data.data());  // zlib's API is not const-correct
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return fail(Code::kInternal, "deflate did not finish (zlib {})", rc);
  }
  out.resize(produced);
  return out;
}

Result<Bytes> gzipDecompress(ByteSpan data, std::size_t max_output) {
  if (data.size() > kMaxInput) {
    return fail(Code::kResourceExhausted, "gzip input of {} bytes is too large", data.size());
  }
  if (data.size() < 2 || data[0] != 0x1f || data[1] != 0x8b) {
    return fail(Code::kInvalidArgument, "not a gzip stream (expected magic 1f 8b)");
  }
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) {
    return fail(Code::kInternal, "inflateInit2 failed");
  }
  zs.next_in = const_cast<Bytef*>(data.data());  // zlib's API is not const-correct
  zs.avail_in = static_cast<uInt>(data.size());
  Bytes out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const std::size_t before = out.size();
    if (before >= max_output) {
      // Output is full: one more byte would exceed the cap, unless the stream ends here.
      unsigned char probe = 0;
      zs.next_out = &probe;
      zs.avail_out = 1;
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END && zs.avail_out == 1) {
        break;
      }
      inflateEnd(&zs);
      return fail(Code::kResourceExhausted, "gzip stream expands beyond {} bytes", max_output);
    }
    const std::size_t room = std::min(kChunk, max_output - before);
    out.resize(before + room);
    zs.next_out = out.data() + before;
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(before + room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      return fail(Code::kInvalidArgument, "truncated gzip stream ({} bytes)", data.size());
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const char* reason = zs.msg != nullptr ? zs.msg : "unknown error";
      inflateEnd(&zs);
      return fail(Code::kInvalidArgument, "corrupt gzip stream at byte {}: {}",
                  data.size() - zs.avail_in, reason);
    }
  }
  const std::size_t consumed = data.size() - zs.avail_in;
  inflateEnd(&zs);
  if (consumed != data.size()) {
    return fail(Code::kInvalidArgument, "{} trailing bytes after the gzip stream at byte {}",
                data.size() - consumed, consumed);
  }
  return out;
}

}  // namespace cocoon::runtime::tee::initdata
