// SPDX-License-Identifier: Apache-2.0
// RSA-OAEP on EVP_PKEY_encrypt/decrypt, ECDH on EVP_PKEY_derive, Concat KDF on EVP_KDF SSKDF.
#include "crypto/asym_encrypt.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;
using detail::PkeyCtxPtr;
using detail::takeOpensslError;

// OpenSSL matches digest names case-insensitively, so digestName()'s "sha256" (a
// NUL-terminated literal) names the EVP_MD.
const char* mdName(DigestAlgorithm hash) {
  return digestName(hash).data();
}

Status expectRsa(const Key& key) {
  if (key.raw() == nullptr || key.type() != KeyType::kRsa) {
    return fail(Code::kInvalidArgument, "RSA-OAEP: key must be RSA, found {}",
                keyTypeName(key.type()));
  }
  return okStatus();
}

// An encrypt or decrypt context with OAEP padding, `hash` for both OAEP and MGF1, and the
// empty label.
Result<PkeyCtxPtr> oaepContext(const Key& key, DigestAlgorithm hash, bool encrypt) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.raw(), nullptr));
  cryptoCheck(ctx != nullptr, "EVP_PKEY_CTX_new_from_pkey");
  char* md = const_cast<char*>(mdName(hash));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
                                       const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_OAEP), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, md, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, md, 0),
      OSSL_PARAM_construct_end()};
  int rc = encrypt ? EVP_PKEY_encrypt_init_ex(ctx.get(), params)
                   : EVP_PKEY_decrypt_init_ex(ctx.get(), params);
  if (rc != 1) {
    // An RSASSA-PSS-restricted key (e.g. from an AMD certificate) cannot encrypt.
    return fail(Code::kInvalidArgument, "RSA-OAEP: the key cannot be used for encryption: {}",
                takeOpensslError());
  }
  return ctx;
}

bool isAgreementKey(KeyType type) {
  return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521 ||
         type == KeyType::kX25519;
}

bool allZero(ByteSpan bytes) {
  std::uint8_t acc = 0;
  for (std::uint8_t b : bytes) {
    acc = static_cast<std::uint8_t>(acc | b);
  }
  return acc == 0;
}

}  // namespace

Result<Bytes> rsaOaepEncrypt(const Key& public_key, DigestAlgorithm hash, ByteSpan plaintext) {
  COCOON_TRY(expectRsa(public_key));
  // RFC 8017 §7.1.1 step 1b: mLen <= k - 2hLen - 2.
  std::size_t k = static_cast<std::size_t>(EVP_PKEY_get_size(public_key.raw()));
  std::size_t max = k - 2 * digestSize(hash) - 2;
  if (plaintext.size() > max) {
    return fail(Code::kInvalidArgument,
                "RSA-OAEP: plaintext of {} bytes is too long for a {}-bit key with {} (max {})",
                plaintext.size(), public_key.bits(), digestName(hash), max);
  }
  COCOON_ASSIGN_OR_RETURN(PkeyCtxPtr ctx, oaepContext(public_key, hash, true));
  Bytes out(k);
  std::size_t len = out.size();
  cryptoCheck(
      EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plaintext.data(), plaintext.size()) == 1,
      "EVP_PKEY_encrypt");
  out.resize(len);
  return out;
}

Result<SecretBytes> rsaOaepDecrypt(const Key& private_key, DigestAlgorithm hash,
                                   ByteSpan ciphertext) {
  COCOON_TRY(expectRsa(private_key));
  if (!private_key.hasPrivate()) {
    return fail(Code::kFailedPrecondition, "RSA-OAEP: decryption needs a private key");
  }
  COCOON_ASSIGN_OR_RETURN(PkeyCtxPtr ctx, oaepContext(private_key, hash, false));
  SecretBytes out(static_cast<std::size_t>(EVP_PKEY_get_size(private_key.raw())));
  std::size_t len = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, ciphertext.data(), ciphertext.size()) != 1) {
    // One message for every cause (RFC 8017 §7.1.2 note): no padding oracle.
    ERR_clear_error();
    return fail(Code::kUnauthenticated, "RSA-OAEP: ciphertext does not decrypt");
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> ecdh(const Key& own, const Key& peer) {
  if (own.raw() == nullptr || !isAgreementKey(own.type())) {
    return fail(Code::kInvalidArgument, "ECDH: {} keys cannot do key agreement",
                keyTypeName(own.type()));
  }
  if (peer.raw() == nullptr || peer.type() != own.type()) {
    return fail(Code::kInvalidArgument, "ECDH: peer key is {}, own key is {}",
                keyTypeName(peer.type()), keyTypeName(own.type()));
  }
  if (!own.hasPrivate()) {
    return fail(Code::kFailedPrecondition, "ECDH: own key is public only");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own.raw(), nullptr));
  cryptoCheck(ctx != nullptr && EVP_PKEY_derive_init(ctx.get()) == 1, "EVP_PKEY_derive_init");
  // validate_peer = 1: OpenSSL runs its public-key check on the peer's point.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.raw(), 1) != 1) {
    return fail(Code::kInvalidArgument, "ECDH: peer key rejected: {}", takeOpensslError());
  }
  std::size_t len = 0;
  cryptoCheck(EVP_PKEY_derive(ctx.get(), nullptr, &len) == 1, "EVP_PKEY_derive size");
  SecretBytes z(len);
  // OpenSSL's X25519 itself fails on an all-zero result; both paths give the same error.
  bool derived = EVP_PKEY_derive(ctx.get(), z.data(), &len) == 1;
  if (!derived || allZero(z.span().first(len))) {
    std::string reason = takeOpensslError();
    if (own.type() == KeyType::kX25519) {
      // RFC 7748 §6.1: an all-zero output means a low-order peer point.
      return fail(Code::kInvalidArgument, "ECDH: X25519 result is all zero (low-order peer key)");
    }
    return fail(Code::kInvalidArgument, "ECDH: derivation failed: {}", reason);
  }
  z.resize(len);
  return z;
}

SecretBytes concatKdfSha256(ByteSpan z, ByteSpan other_info, std::size_t out_len) {
  SecretBytes out(out_len);
  if (out_len == 0) {
    return out;
  }
  static EVP_KDF* const kSskdf = [] {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SSKDF", nullptr);
    cryptoCheck(kdf != nullptr, "fetching SSKDF");
    return kdf;
  }();
  detail::OsslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free> ctx(EVP_KDF_CTX_new(kSskdf));
  cryptoCheck(ctx != nullptr, "EVP_KDF_CTX_new");
  // SP 800-56A §5.8.2.1.1 with H = SHA-256: K(i) = H(counter_i || Z || OtherInfo).
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<std::uint8_t*>(z.data()),
                                        z.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(other_info.data()), other_info.size()),
      OSSL_PARAM_construct_end()};
  cryptoCheck(EVP_KDF_derive(ctx.get(), out.data(), out_len, params) == 1, "SSKDF derive");
  return out;
}

}  // namespace cocoon::crypto
