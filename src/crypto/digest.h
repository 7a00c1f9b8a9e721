// SPDX-License-Identifier: Apache-2.0
// Message digests (SHA-1 for legacy protocol use only, SHA-2), one-shot and streaming.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

struct evp_md_ctx_st;

namespace cocoon::crypto {

enum class DigestAlgorithm : std::uint8_t { kSha1, kSha256, kSha384, kSha512 };

// Output size in bytes (20, 32, 48, 64).
std::size_t digestSize(DigestAlgorithm alg);
// "sha1", "sha256", "sha384", "sha512" (the OCI digest prefixes for the SHA-2 ones).
std::string_view digestName(DigestAlgorithm alg);
// Parses a name as digestName() prints it; kInvalidArgument otherwise.
Result<DigestAlgorithm> parseDigestName(std::string_view name);

// One-shot digests.
Bytes digest(DigestAlgorithm alg, ByteSpan data);
Bytes sha256(ByteSpan data);
Bytes sha384(ByteSpan data);
Bytes sha512(ByteSpan data);

// Streaming digest over data that arrives in pieces (e.g. a layer blob while it is
// downloaded). Movable, not copyable, not thread-safe.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm alg);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  DigestAlgorithm algorithm() const { return alg_; }
  void update(ByteSpan data);
  // The digest of everything given to update(); the hasher then starts over, empty.
  Bytes finish();

 private:
  DigestAlgorithm alg_;
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

}  // namespace cocoon::crypto
