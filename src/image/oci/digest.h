// SPDX-License-Identifier: Apache-2.0
// OCI content digests ("sha256:<hex>", image-spec descriptor.md#digests): parsing,
// computing and checking content against them.
// Trust: digests come from registries, manifests and users (untrusted); parseDigest accepts
// only the canonical form, so one content address has exactly one spelling.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/digest.h"

namespace cocoon::image::oci {

// A parsed digest. Invariant (when made by parseDigest, computeDigest or digestFromHash):
// `algorithm` is kSha256 or kSha512 and `encoded` is its lower-case hex (64 or 128 chars).
struct Digest {
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kSha256;
  std::string encoded;

  // "sha256:<hex>".
  std::string toString() const;
  bool operator==(const Digest&) const = default;
};

// Parses "<algorithm>:<encoded>". Errors:
// - kInvalidArgument: no ':', an algorithm that breaks the image-spec grammar
//   ([a-z0-9]+([+._-][a-z0-9]+)*), or an encoded part that is not exactly 64 (sha256) /
//   128 (sha512) lower-case hex digits (the message names the first bad offset);
// - kUnimplemented: a well-formed algorithm other than sha256 and sha512 (e.g. sha384,
//   blake3), which the OCI image spec does not register.
Result<Digest> parseDigest(std::string_view text);

// The digest of `data` (sha256 by default).
// REQUIRES: alg is kSha256 or kSha512.
Digest computeDigest(ByteSpan data, crypto::DigestAlgorithm alg = crypto::DigestAlgorithm::kSha256);

// The Digest of a finished hash (e.g. crypto::Hasher::finish() over a streamed blob).
// REQUIRES: hash.size() == crypto::digestSize(alg).
Digest digestFromHash(crypto::DigestAlgorithm alg, ByteSpan hash);

// A hasher for the algorithm of `expected`, to stream content that is later checked with
// checkDigest(expected, digestFromHash(...)).
crypto::Hasher hasherFor(const Digest& expected);

// Ok when `actual` equals `expected`; kDataLoss "digest mismatch: expected <e>, got <a>"
// otherwise. `what` names the object ("manifest", "layer 2") at the start of the message.
Status checkDigest(const Digest& expected, const Digest& actual, std::string_view what);

// checkDigest(expected, computeDigest(data, expected.algorithm), what).
Status verifyDigest(const Digest& expected, ByteSpan data, std::string_view what);

}  // namespace cocoon::image::oci

template <>
struct fmt::formatter<cocoon::image::oci::Digest> : fmt::formatter<std::string> {
  auto format(const cocoon::image::oci::Digest& d, fmt::format_context& ctx) const {
    return fmt::formatter<std::string>::format(d.toString(), ctx);
  }
};
