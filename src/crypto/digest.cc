// SPDX-License-Identifier: Apache-2.0
// Message digests on OpenSSL EVP, with each EVP_MD fetched once per process.
#include "crypto/digest.h"

#include <array>

#include <openssl/evp.h>

#include "crypto/detail/fatal.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;

// Explicit fetching in OpenSSL 3 is costly (a locked store lookup); doing it once keeps
// the one-shot calls at the raw speed of the implementation.
const EVP_MD* evpMd(DigestAlgorithm alg) {
  static const std::array<EVP_MD*, 4> kMds = [] {
    std::array<EVP_MD*, 4> mds{};
    const char* names[] = {"SHA1", "SHA256", "SHA384", "SHA512"};
    for (std::size_t i = 0; i < mds.size(); ++i) {
      mds[i] = EVP_MD_fetch(nullptr, names[i], nullptr);
      cryptoCheck(mds[i] != nullptr, "fetching a built-in digest");
    }
    return mds;
  }();
  return kMds[static_cast<std::size_t>(alg)];
}

void initOrDie(EVP_MD_CTX* ctx, DigestAlgorithm alg) {
  cryptoCheck(ctx != nullptr && EVP_DigestInit_ex2(ctx, evpMd(alg), nullptr) == 1,
              "EVP_DigestInit_ex2");
}

}  // namespace

std::size_t digestSize(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return 20;
    case DigestAlgorithm::kSha256:
      return 32;
    case DigestAlgorithm::kSha384:
      return 48;
    case DigestAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

std::string_view digestName(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return "sha1";
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha384:
      return "sha384";
    case DigestAlgorithm::kSha512:
      return "sha512";
  }
  return "unknown";
}

Result<DigestAlgorithm> parseDigestName(std::string_view name) {
  for (auto alg : {DigestAlgorithm::kSha1, DigestAlgorithm::kSha256, DigestAlgorithm::kSha384,
                   DigestAlgorithm::kSha512}) {
    if (name == digestName(alg)) {
      return alg;
    }
  }
  return fail(Code::kInvalidArgument,
              "digest algorithm: expected sha1, sha256, sha384 or sha512, found '{}'",
              name.substr(0, 32));
}

Bytes digest(DigestAlgorithm alg, ByteSpan data) {
  Bytes out(digestSize(alg));
  unsigned int out_len = 0;
  cryptoCheck(EVP_Digest(data.data(), data.size(), out.data(), &out_len, evpMd(alg), nullptr) == 1,
              "EVP_Digest");
  return out;
}

Bytes sha256(ByteSpan data) {
  return digest(DigestAlgorithm::kSha256, data);
}
Bytes sha384(ByteSpan data) {
  return digest(DigestAlgorithm::kSha384, data);
}
Bytes sha512(ByteSpan data) {
  return digest(DigestAlgorithm::kSha512, data);
}

Hasher::Hasher(DigestAlgorithm alg) : alg_(alg), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  initOrDie(ctx_.get(), alg_);
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(ByteSpan data) {
  cryptoCheck(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1, "EVP_DigestUpdate");
}

Bytes Hasher::finish() {
  Bytes out(digestSize(alg_));
  unsigned int out_len = 0;
  cryptoCheck(EVP_DigestFinal_ex(ctx_.get(), out.data(), &out_len) == 1, "EVP_DigestFinal_ex");
  initOrDie(ctx_.get(), alg_);
  return out;
}

}  // namespace cocoon::crypto
