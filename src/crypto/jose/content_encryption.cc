// SPDX-License-Identifier: Apache-2.0
// AES-GCM and AES_CBC_HMAC_SHA2 content encryption for JWE (RFC 7518 §5.2, §5.3).
#include "crypto/jose/content_encryption.h"

#include <array>

#include "crypto/cipher.h"
#include "crypto/hmac.h"
#include "crypto/jose/internal/codec.h"
#include "crypto/random.h"

namespace cocoon::jose {
namespace {

bool isGcm(ContentEncryption enc) {
  return enc == ContentEncryption::kA128Gcm || enc == ContentEncryption::kA192Gcm ||
         enc == ContentEncryption::kA256Gcm;
}

crypto::DigestAlgorithm macDigest(ContentEncryption enc) {
  switch (enc) {
    case ContentEncryption::kA192CbcHs384:
      return crypto::DigestAlgorithm::kSha384;
    case ContentEncryption::kA256CbcHs512:
      return crypto::DigestAlgorithm::kSha512;
    default:
      return crypto::DigestAlgorithm::kSha256;
  }
}

JoseStatus checkKeyAndIv(ContentEncryption enc, ByteSpan cek, ByteSpan iv, JoseReason iv_reason) {
  if (cek.size() != contentKeySize(enc)) {
    return joseFail(JoseReason::kInvalidArgument, "{}: CEK must be {} bytes, found {}",
                    contentEncryptionName(enc), contentKeySize(enc), cek.size());
  }
  if (iv.size() != contentIvSize(enc)) {
    return joseFail(iv_reason, "{}: IV must be {} bytes, found {}", contentEncryptionName(enc),
                    contentIvSize(enc), iv.size());
  }
  return {};
}

// RFC 7518 §5.2.2.1 steps 4-5: the full HMAC over A || IV || E || AL; T is its first half.
Bytes cbcHmac(ContentEncryption enc, ByteSpan mac_key, ByteSpan aad, ByteSpan iv,
              ByteSpan ciphertext) {
  const std::uint64_t aad_bits = static_cast<std::uint64_t>(aad.size()) * 8;
  std::array<std::uint8_t, 8> al{};
  for (std::size_t i = 0; i < al.size(); ++i) {
    al[i] = static_cast<std::uint8_t>(aad_bits >> (56 - 8 * i));
  }
  crypto::Hmac mac(macDigest(enc), mac_key);
  mac.update(aad);
  mac.update(iv);
  mac.update(ciphertext);
  mac.update(al);
  Bytes full = mac.finish();
  full.resize(contentTagSize(enc));
  return full;
}

}  // namespace

JoseResult<ContentCiphertext> encryptContent(ContentEncryption enc, ByteSpan cek, ByteSpan iv,
                                             ByteSpan aad, ByteSpan plaintext) {
  COCOON_TRY(checkKeyAndIv(enc, cek, iv, JoseReason::kInvalidArgument));
  if (isGcm(enc)) {
    auto sealed = crypto::aesGcmEncrypt(cek, iv, aad, plaintext);
    if (!sealed) {
      return joseFromError(JoseReason::kInvalidArgument, "JWE content encryption", sealed.error());
    }
    return ContentCiphertext{std::move(sealed->ciphertext),
                             Bytes(sealed->tag.begin(), sealed->tag.end())};
  }
  const std::size_t half = cek.size() / 2;
  auto ciphertext = crypto::aesCbcEncrypt(cek.subspan(half), iv, plaintext);
  if (!ciphertext) {
    return joseFromError(JoseReason::kInvalidArgument, "JWE content encryption",
                         ciphertext.error());
  }
  Bytes tag = cbcHmac(enc, cek.first(half), aad, iv, *ciphertext);
  return ContentCiphertext{std::move(*ciphertext), std::move(tag)};
}

JoseResult<SecretBytes> decryptContent(ContentEncryption enc, ByteSpan cek, ByteSpan iv,
                                       ByteSpan aad, ByteSpan ciphertext, ByteSpan tag) {
  COCOON_TRY(checkKeyAndIv(enc, cek, iv, JoseReason::kMalformed));
  if (tag.size() != contentTagSize(enc)) {
    return joseFail(JoseReason::kMalformed, "{}: tag must be {} bytes, found {}",
                    contentEncryptionName(enc), contentTagSize(enc), tag.size());
  }
  if (isGcm(enc)) {
    auto plaintext = crypto::aesGcmDecrypt(cek, iv, aad, ciphertext, tag);
    if (!plaintext) {
      return internal::decryptionFailed();
    }
    return SecretBytes(std::move(*plaintext));
  }
  const std::size_t half = cek.size() / 2;
  // RFC 7518 §5.2.2.2: authenticate first, in constant time, and only then decrypt, so
  // the padding check can never act as an oracle.
  if (!crypto::constantTimeEqual(cbcHmac(enc, cek.first(half), aad, iv, ciphertext), tag)) {
    return internal::decryptionFailed();
  }
  auto plaintext = crypto::aesCbcDecrypt(cek.subspan(half), iv, ciphertext);
  if (!plaintext) {
    return internal::decryptionFailed();
  }
  return SecretBytes(std::move(*plaintext));
}

}  // namespace cocoon::jose
