// SPDX-License-Identifier: Apache-2.0
// One-member gzip (RFC 1952) for init-data: deterministic compression and a strict,
// size-capped decompression.
// Trust: decompression input comes from the host, which the guest does not trust.
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::runtime::tee::initdata {

// gzip of `data` at the best compression level, with no name and an mtime of 0, so the
// same input always gives the same bytes (the block image is hashed by nobody, but
// reproducible artifacts are easier to compare).
Result<Bytes> gzipCompress(ByteSpan data);

// Decompresses exactly one gzip member that spans all of `data`.
// Errors: kInvalidArgument for a stream that is not gzip, is corrupt (the message has
// zlib's reason), is truncated, or is followed by trailing bytes (their offset);
// kResourceExhausted when the output would exceed `max_output` bytes.
Result<Bytes> gzipDecompress(ByteSpan data, std::size_t max_output);

}  // namespace cocoon::runtime::tee::initdata
