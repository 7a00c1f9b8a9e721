// SPDX-License-Identifier: Apache-2.0
// AES-256-CTR + HMAC-SHA256 over the ciphertext, as ocicrypt's blockcipher_aes_ctr.go.
#include "image/crypt/layer_cipher.h"

#include "crypto/random.h"

namespace cocoon::image::crypt {
namespace {

Status checkOptions(const PrivateOptions& options) {
  if (options.symkey.size() != kSymKeySize) {
    return fail(Code::kInvalidArgument, "layer key is {} bytes, expected {}", options.symkey.size(),
                kSymKeySize);
  }
  if (options.nonce.size() != kNonceSize) {
    return fail(Code::kInvalidArgument, "layer nonce is {} bytes, expected {}",
                options.nonce.size(), kNonceSize);
  }
  return {};
}

}  // namespace

DecryptingSource::DecryptingSource(layer::ByteSource& in, crypto::AesCtr ctr, crypto::Hmac hmac,
                                   Bytes expected)
    : in_(in), ctr_(std::move(ctr)), hmac_(std::move(hmac)), expected_(std::move(expected)) {}

Result<std::unique_ptr<DecryptingSource>> DecryptingSource::create(layer::ByteSource& in,
                                                                   const PrivateOptions& options,
                                                                   ByteSpan expected_hmac) {
  COCOON_TRY(checkOptions(options));
  if (expected_hmac.size() != kHmacSize) {
    return fail(Code::kInvalidArgument, "layer HMAC is {} bytes, expected {}", expected_hmac.size(),
                kHmacSize);
  }
  COCOON_ASSIGN_OR_RETURN(crypto::AesCtr ctr,
                          crypto::AesCtr::create(options.symkey.span(), options.nonce));
  crypto::Hmac hmac(crypto::DigestAlgorithm::kSha256, options.symkey.span());
  return std::unique_ptr<DecryptingSource>(new DecryptingSource(
      in, std::move(ctr), std::move(hmac), Bytes(expected_hmac.begin(), expected_hmac.end())));
}

Result<std::size_t> DecryptingSource::read(std::span<std::uint8_t> out) {
  if (out.empty() || done_) {
    return 0;
  }
  COCOON_ASSIGN_OR_RETURN(std::size_t n, in_.read(out));
  if (n == 0) {
    done_ = true;
    Bytes actual = hmac_.finish();
    if (!crypto::constantTimeEqual(actual, expected_)) {
      return fail(Code::kDataLoss,
                  "layer HMAC mismatch: the ciphertext was altered or the pubopts HMAC is wrong");
    }
    return 0;
  }
  auto chunk = out.first(n);
  hmac_.update(chunk);
  ctr_.update(chunk, chunk);
  return n;
}

LayerEncrypter::LayerEncrypter(crypto::AesCtr ctr, crypto::Hmac hmac)
    : ctr_(std::move(ctr)), hmac_(std::move(hmac)) {}

Result<LayerEncrypter> LayerEncrypter::create(const PrivateOptions& options) {
  COCOON_TRY(checkOptions(options));
  COCOON_ASSIGN_OR_RETURN(crypto::AesCtr ctr,
                          crypto::AesCtr::create(options.symkey.span(), options.nonce));
  return LayerEncrypter(std::move(ctr),
                        crypto::Hmac(crypto::DigestAlgorithm::kSha256, options.symkey.span()));
}

void LayerEncrypter::update(ByteSpan in, std::span<std::uint8_t> out) {
  ctr_.update(in, out);
  hmac_.update(ByteSpan(out.data(), in.size()));
}

Bytes LayerEncrypter::finish() {
  return hmac_.finish();
}

PrivateOptions newLayerOptions(std::string digest) {
  PrivateOptions options;
  options.symkey = crypto::randomSecret(kSymKeySize);
  options.nonce = crypto::randomBytes(kNonceSize);
  options.digest = std::move(digest);
  return options;
}

}  // namespace cocoon::image::crypt
