// SPDX-License-Identifier: Apache-2.0
// ZstdSource over ZSTD_decompressStream with a bounded window.
#include "image/layer/codec/zstd_source.h"

#include <zstd.h>
#include <zstd_errors.h>

namespace cocoon::image::layer::codec {

void ZstdSource::FreeDctx::operator()(ZSTD_DCtx_s* dctx) const {
  ZSTD_freeDCtx(dctx);
}

Result<std::unique_ptr<ZstdSource>> ZstdSource::create(InputBuffer input, std::uint64_t max_output,
                                                       int max_window_log) {
  std::unique_ptr<ZSTD_DCtx_s, FreeDctx> dctx(ZSTD_createDCtx());
  if (!dctx) {
    return fail(Code::kInternal, "ZSTD_createDCtx failed");
  }
  // The window is the decoder's big allocation; a frame may not ask for more.
  const std::size_t ret = ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, max_window_log);
  if (ZSTD_isError(ret)) {
    return fail(Code::kInternal, "zstd rejects max_zstd_window_log {}: {}", max_window_log,
                ZSTD_getErrorName(ret));
  }
  auto source =
      std::unique_ptr<ZstdSource>(new ZstdSource(std::move(input), max_output, std::move(dctx)));
  source->max_window_log_ = max_window_log;
  return source;
}

ZstdSource::ZstdSource(InputBuffer input, std::uint64_t max_output,
                       std::unique_ptr<ZSTD_DCtx_s, FreeDctx> dctx)
    : DecoderSource("zstd", std::move(input), max_output), dctx_(std::move(dctx)) {}

Result<DecoderSource::Progress> ZstdSource::step(ByteSpan in, std::span<std::uint8_t> out) {
  ZSTD_inBuffer zin{in.data(), in.size(), 0};
  ZSTD_outBuffer zout{out.data(), out.size(), 0};
  const std::size_t ret = ZSTD_decompressStream(dctx_.get(), &zout, &zin);
  if (ZSTD_isError(ret)) {
    if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
      return fail(Code::kResourceExhausted,
                  "zstd frame near offset {} needs a window larger than the limit of 2^{} bytes "
                  "(max_zstd_window_log)",
                  input().offset() + zin.pos, max_window_log_);
    }
    return fail(Code::kDataLoss, "corrupt zstd stream near offset {}: {}",
                input().offset() + zin.pos, ZSTD_getErrorName(ret));
  }
  // 0 means a frame ended and all its output was flushed (zstd.h, ZSTD_decompressStream).
  frame_done_ = ret == 0;
  return Progress{zin.pos, zout.pos};
}

}  // namespace cocoon::image::layer::codec
