// SPDX-License-Identifier: Apache-2.0
// ZstdSource: zstd (RFC 8878) decompression through libzstd's streaming API.
#pragma once

#include <memory>

#include "image/layer/codec/decoder_source.h"

struct ZSTD_DCtx_s;

namespace cocoon::image::layer::codec {

// Decodes concatenated zstd frames (and skips skippable frames) with ZSTD_decompressStream.
// The caller has checked the first frame's magic. Errors as openDecompressor documents.
class ZstdSource final : public DecoderSource {
 public:
  // Errors: kInternal when libzstd cannot allocate or configure its context.
  static Result<std::unique_ptr<ZstdSource>> create(InputBuffer input, std::uint64_t max_output,
                                                    int max_window_log);

 private:
  struct FreeDctx {
    void operator()(ZSTD_DCtx_s* dctx) const;
  };
  ZstdSource(InputBuffer input, std::uint64_t max_output, std::unique_ptr<ZSTD_DCtx_s, FreeDctx>);

  Result<Progress> step(ByteSpan in, std::span<std::uint8_t> out) override;
  bool atBoundary() const override { return frame_done_; }
  Status startNext() override { return okStatus(); }

  std::unique_ptr<ZSTD_DCtx_s, FreeDctx> dctx_;
  int max_window_log_ = 0;
  bool frame_done_ = false;  // the last step finished a frame and flushed all its output
};

}  // namespace cocoon::image::layer::codec
