// SPDX-License-Identifier: Apache-2.0
// Asymmetric keys (RSA, EC P-256/384/521, Ed25519, X25519) on OpenSSL EVP_PKEY:
// generation, PEM/DER import and export, and raw components for JWK.
// Trust: the import functions take attacker-controlled bytes (JWKs, PEMs, SPKIs from
// certificates); they validate the key (on-curve points, RSA sizes) before returning it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

struct evp_pkey_st;

namespace cocoon::crypto {

// kRsa also covers RSASSA-PSS-restricted keys (id-RSASSA-PSS SPKI, as in AMD's ARK/ASK
// certificates); OpenSSL lets those sign and verify PSS only, and other uses fail with
// kInvalidArgument.
enum class KeyType : std::uint8_t { kRsa, kEcP256, kEcP384, kEcP521, kEd25519, kX25519 };

// "RSA", "P-256", "P-384", "P-521", "Ed25519", "X25519" (the JOSE curve names).
std::string_view keyTypeName(KeyType type);
// Size in bytes of one coordinate / scalar for EC and OKP keys (32, 48, 66, 32, 32);
// 0 for RSA.
std::size_t keyFieldSize(KeyType type);

struct RsaComponents {
  Bytes n, e;  // public: modulus, exponent (big-endian, no leading 0)
  std::optional<SecretBytes> d, p, q, dp, dq, qi;  // private (all or none)
};

// An asymmetric key, public or private. Copies share the immutable OpenSSL object
// (reference counted by OpenSSL), so copying is cheap; a Key is safe to use from several
// threads at once because no operation mutates it.
class Key {
 public:
  Key(const Key& other);
  Key& operator=(const Key& other);
  Key(Key&& other) noexcept;
  Key& operator=(Key&& other) noexcept;
  ~Key();

  // New random key. RSA sizes: 2048..8192 bits (kInvalidArgument otherwise).
  static Result<Key> generate(KeyType type, unsigned rsa_bits = 2048);

  // PEM: "PUBLIC KEY" (SPKI), "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY",
  // "RSA PUBLIC KEY", "EC PRIVATE KEY". Unencrypted only. kInvalidArgument on anything
  // else, on trailing garbage, or on an unsupported algorithm or curve. Every import path
  // (PEM, DER, adopt) refuses RSA moduli outside 2048..16384 bits and EC keys with explicit
  // curve parameters.
  static Result<Key> fromPem(std::string_view pem);
  // DER SubjectPublicKeyInfo.
  static Result<Key> fromPublicDer(ByteSpan der);
  // DER PKCS#8 PrivateKeyInfo.
  static Result<Key> fromPrivateDer(ByteSpan der);

  // From raw components (JWK). kInvalidArgument if they do not form a valid key (a point
  // not on the curve, a private scalar that does not match the public point, an RSA
  // modulus under 2048 bits or over 16384). Keys are checked with OpenSSL's
  // EVP_PKEY_check (private) or EVP_PKEY_public_check (public), which among others wants
  // an odd modulus and an odd public exponent > 1. Leading zero bytes in components are
  // accepted (JWK minimality is the JOSE layer's business).
  static Result<Key> fromRsa(const RsaComponents& components);
  // x, y: big-endian coordinates of keyFieldSize(type) bytes; d likewise, optional.
  static Result<Key> fromEc(KeyType type, ByteSpan x, ByteSpan y,
                            std::optional<ByteSpan> d = std::nullopt);
  // Ed25519 / X25519 raw public key (32 bytes) and optional raw private key.
  static Result<Key> fromOkp(KeyType type, ByteSpan x, std::optional<ByteSpan> d = std::nullopt);

  KeyType type() const { return type_; }
  bool hasPrivate() const { return has_private_; }
  // RSA modulus size in bits; the curve's size in bits otherwise (256, 384, 521; 255 for
  // Ed25519 and X25519).
  unsigned bits() const;
  // The public half (a copy without the private part).
  Key publicKey() const;

  std::string publicPem() const;  // "PUBLIC KEY" (SPKI)
  Bytes publicDer() const;        // SPKI DER
  // PKCS#8. kFailedPrecondition for a public key.
  Result<std::string> privatePem() const;
  Result<SecretBytes> privateDer() const;

  // Raw components for JWK export. kFailedPrecondition when the key has another type.
  Result<RsaComponents> rsaComponents() const;
  // {x, y} as fixed-size big-endian coordinates, plus d when private.
  struct EcPoint {
    Bytes x, y;
    std::optional<SecretBytes> d;
  };
  Result<EcPoint> ecPoint() const;
  // {x} raw public, plus d raw private when present.
  struct OkpKey {
    Bytes x;
    std::optional<SecretBytes> d;
  };
  Result<OkpKey> okpKey() const;

  // True when both keys have the same type and public part.
  bool samePublicKey(const Key& other) const;

  // For code inside crypto/ that calls OpenSSL directly. The key stays owned by this.
  evp_pkey_st* raw() const { return pkey_; }
  // Takes ownership of an EVP_PKEY (crypto/ internal use), also when it fails (the key is
  // then freed). kInvalidArgument when its algorithm, curve or RSA size is unsupported.
  static Result<Key> adopt(evp_pkey_st* pkey);

 private:
  Key(evp_pkey_st* pkey, KeyType type, bool has_private);
  evp_pkey_st* pkey_ = nullptr;
  KeyType type_ = KeyType::kRsa;
  bool has_private_ = false;
};

}  // namespace cocoon::crypto
