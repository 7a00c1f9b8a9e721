// SPDX-License-Identifier: Apache-2.0
// DigestCheckSource: passes a stream through while hashing it, and fails it when its
// digest or size differs from what a manifest or image config promised.
// Trust: the stream comes from an untrusted registry (or is decompressed from one); the
// expected digest comes from a manifest whose own digest was checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/digest.h"
#include "image/layer/byte_source.h"
#include "image/oci/digest.h"

namespace cocoon::image::layer {

// Wraps a ByteSource and hashes every byte read through it. The checks (all kDataLoss,
// each message starting with `what`, e.g. "layer 2 blob" or "layer 2 diff_id"):
//   - more than `expected_size` bytes (when given): fails as soon as they arrive, having
//     read at most one byte past the size from `in`;
//   - at the end of `in`: fewer than `expected_size` bytes, or a digest other than
//     `expected` ("digest mismatch: expected <e>, got <a>", as oci::checkDigest). The
//     error comes from the read that would have returned 0 (the ByteSource end-of-stream
//     rule).
// Used twice per layer: on the compressed blob (manifest digest and size) and on the
// uncompressed tar (config rootfs.diff_ids).
// Borrows `in`, which must outlive it. Not thread-safe (one consumer).
class DigestCheckSource : public ByteSource {
 public:
  // REQUIRES: `expected` is a parsed digest (sha256 or sha512).
  DigestCheckSource(ByteSource& in, oci::Digest expected, std::string what,
                    std::optional<std::uint64_t> expected_size = std::nullopt);

  // As ByteSource::read, plus the checks above. Errors of `in` pass through unchanged.
  Result<std::size_t> read(std::span<std::uint8_t> out) override;

  // Bytes read through this source so far.
  std::uint64_t bytesRead() const { return total_; }

 private:
  ByteSource* in_;
  oci::Digest expected_;
  std::string what_;
  std::optional<std::uint64_t> expected_size_;
  crypto::Hasher hasher_;
  std::uint64_t total_ = 0;
  bool verified_ = false;  // the end was reached and every check passed
};

}  // namespace cocoon::image::layer
