// SPDX-License-Identifier: Apache-2.0
// The AES-256-CTR + HMAC-SHA256 layer cipher: known answers, streaming round trip, and the
// end-of-stream HMAC check.
#include "image/crypt/layer_cipher.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/hmac.h"
#include "crypto/random.h"
#include "image/layer/span_source.h"
#include "support/expect.h"

namespace cocoon::image::crypt {
namespace {

using test::expectError;

Bytes hex(std::string_view s) {
  return *hexDecode(s);
}

// NIST SP 800-38A Appendix F.5.5 CTR-AES256.Encrypt (key, initial counter block, 4 blocks).
TEST(LayerEncrypter, MatchesNistCtrAes256Vector) {
  PrivateOptions options;
  options.symkey =
      SecretBytes(hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
  options.nonce = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  Bytes plain =
      hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
          "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  auto enc = LayerEncrypter::create(options);
  ASSERT_TRUE(enc);
  Bytes out(plain.size());
  // In two uneven pieces: the counter carries across calls.
  enc->update(ByteSpan(plain).first(20), std::span(out).first(20));
  enc->update(ByteSpan(plain).subspan(20), std::span(out).subspan(20));
  EXPECT_EQ(hexEncode(out),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  // ocicrypt's MAC: HMAC-SHA256 keyed with the symkey over the ciphertext.
  EXPECT_EQ(enc->finish(),
            crypto::hmac(crypto::DigestAlgorithm::kSha256, options.symkey.span(), out));
}

struct Encrypted {
  PrivateOptions options;
  Bytes ciphertext;
  Bytes hmac;
};

Encrypted encrypt(ByteSpan plain) {
  Encrypted e{newLayerOptions("sha256:x"), Bytes(plain.size()), {}};
  auto enc = LayerEncrypter::create(e.options);
  EXPECT_TRUE(enc);
  enc->update(plain, e.ciphertext);
  e.hmac = enc->finish();
  return e;
}

Result<Bytes> decryptAll(const Encrypted& e, ByteSpan hmac, std::size_t chunk) {
  layer::SpanSource in(e.ciphertext);
  COCOON_ASSIGN_OR_RETURN(auto source, DecryptingSource::create(in, e.options, hmac));
  Bytes out;
  Bytes buf(chunk);
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(std::size_t n, source->read(buf));
    if (n == 0) {
      return out;
    }
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

TEST(DecryptingSource, RoundTripsInAnyChunking) {
  Bytes plain = crypto::randomBytes(100000);
  Encrypted e = encrypt(plain);
  EXPECT_NE(e.ciphertext, plain);
  for (std::size_t chunk : {1u, 7u, 4096u, 200000u}) {
    auto out = decryptAll(e, e.hmac, chunk);
    ASSERT_TRUE(out) << out.error().toString();
    EXPECT_EQ(*out, plain) << chunk;
  }
}

TEST(DecryptingSource, FailsAtEndOfStreamWhenCiphertextWasAltered) {
  Encrypted e = encrypt(crypto::randomBytes(5000));
  e.ciphertext[2500] ^= 0x01;
  expectError(decryptAll(e, e.hmac, 512), Code::kDataLoss, "layer HMAC mismatch");
}

TEST(DecryptingSource, FailsWhenTheHmacIsWrongOrTruncated) {
  Encrypted e = encrypt(crypto::randomBytes(64));
  Bytes wrong = e.hmac;
  wrong[31] ^= 0x80;
  expectError(decryptAll(e, wrong, 64), Code::kDataLoss, "layer HMAC mismatch");
  expectError(decryptAll(e, ByteSpan(e.hmac).first(16), 64), Code::kInvalidArgument,
              "layer HMAC is 16 bytes, expected 32");
}

TEST(DecryptingSource, EmptyLayerStillChecksTheHmac) {
  Encrypted e = encrypt({});
  EXPECT_TRUE(decryptAll(e, e.hmac, 16));
  Bytes wrong(32, 0);
  expectError(decryptAll(e, wrong, 16), Code::kDataLoss, "layer HMAC mismatch");
}

TEST(LayerEncrypter, RejectsWrongKeyOrNonceSizes) {
  PrivateOptions options = newLayerOptions("");
  options.nonce.pop_back();
  expectError(LayerEncrypter::create(options), Code::kInvalidArgument,
              "layer nonce is 15 bytes, expected 16");
  options = newLayerOptions("");
  options.symkey = SecretBytes(Bytes(16, 0));
  expectError(LayerEncrypter::create(options), Code::kInvalidArgument,
              "layer key is 16 bytes, expected 32");
}

}  // namespace
}  // namespace cocoon::image::crypt
