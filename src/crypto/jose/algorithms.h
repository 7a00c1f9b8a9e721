// SPDX-License-Identifier: Apache-2.0
// The JOSE algorithm identifiers we implement (RFC 7518, RFC 8037), their names, and
// which key types each one may be used with.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/jose/jose_error.h"
#include "crypto/key.h"
#include "crypto/signature.h"

namespace cocoon::jose {

// JWS "alg" values (RFC 7518 §3, RFC 8037 §3.1). There is deliberately no HMAC and no
// "none": a verifier holding only public keys can never be tricked into either.
enum class JwsAlgorithm : std::uint8_t {
  kRs256,
  kRs384,
  kRs512,  // RSASSA-PKCS1-v1_5
  kPs256,
  kPs384,
  kPs512,  // RSASSA-PSS
  kEs256,
  kEs384,
  kEs512,  // ECDSA on P-256, P-384, P-521 (raw r||s)
  kEdDsa,  // Ed25519
};

// "RS256", ..., "EdDSA".
std::string_view jwsAlgorithmName(JwsAlgorithm alg);
// Fails with kUnsupportedAlgorithm for any other name, including "none" and "HS256".
JoseResult<JwsAlgorithm> parseJwsAlgorithm(std::string_view name);
// True when a key of `type` may sign or verify with `alg`: RSA for RS*/PS*, the
// matching curve for ES256/ES384/ES512, Ed25519 for EdDSA.
bool jwsAlgorithmFitsKey(JwsAlgorithm alg, crypto::KeyType type);
crypto::SignatureScheme jwsSignatureScheme(JwsAlgorithm alg);
// Every JWS algorithm, for callers that accept whatever fits their key.
std::span<const JwsAlgorithm> allJwsAlgorithms();

// JWE "alg" values: how the content encryption key (CEK) reaches a recipient
// (RFC 7518 §4). RSA1_5, PBES2 and AES-GCM key wrap are refused by design (docs/jose.md).
enum class KeyManagementAlgorithm : std::uint8_t {
  kRsaOaep,       // RSAES-OAEP with SHA-1 (ocicrypt/skopeo use it)
  kRsaOaep256,    // RSAES-OAEP with SHA-256
  kEcdhEs,        // ECDH-ES direct key agreement: the derived key is the CEK
  kEcdhEsA128Kw,  // ECDH-ES, then AES key wrap of the CEK with the derived key
  kEcdhEsA192Kw,
  kEcdhEsA256Kw,
  kA128Kw,  // AES key wrap with a shared symmetric key
  kA192Kw,
  kA256Kw,
  kDir,  // the shared symmetric key is the CEK
};

std::string_view keyManagementName(KeyManagementAlgorithm alg);
// Fails with kUnsupportedAlgorithm for any other name ("RSA1_5", "PBES2-HS256+A128KW",
// "A128GCMKW", ...).
JoseResult<KeyManagementAlgorithm> parseKeyManagement(std::string_view name);
// True for the algorithms that take an asymmetric key (RSA-OAEP*, ECDH-ES*).
bool usesAsymmetricKey(KeyManagementAlgorithm alg);
// True when an asymmetric key of `type` fits `alg`: RSA for RSA-OAEP*, P-256/P-384/
// P-521/X25519 for ECDH-ES*. False for the symmetric algorithms.
bool keyManagementFitsKey(KeyManagementAlgorithm alg, crypto::KeyType type);
// Size in bytes of the key-encryption key of the AES key wrap algorithms (16/24/32),
// including the ECDH-ES+AxxxKW ones; 0 for the others.
std::size_t keyWrapKeySize(KeyManagementAlgorithm alg);
std::span<const KeyManagementAlgorithm> allKeyManagementAlgorithms();

// JWE "enc" values (RFC 7518 §5).
enum class ContentEncryption : std::uint8_t {
  kA128Gcm,
  kA192Gcm,
  kA256Gcm,
  kA128CbcHs256,
  kA192CbcHs384,
  kA256CbcHs512,
};

std::string_view contentEncryptionName(ContentEncryption enc);
// Fails with kUnsupportedAlgorithm for any other name.
JoseResult<ContentEncryption> parseContentEncryption(std::string_view name);
// CEK size in bytes: 16/24/32 for GCM, 32/48/64 for CBC-HMAC (MAC key + AES key).
std::size_t contentKeySize(ContentEncryption enc);
// IV size in bytes: 12 for GCM, 16 for CBC.
std::size_t contentIvSize(ContentEncryption enc);
// Tag size in bytes: 16 for GCM, 16/24/32 for CBC-HMAC (half the HMAC output).
std::size_t contentTagSize(ContentEncryption enc);
std::span<const ContentEncryption> allContentEncryptions();

}  // namespace cocoon::jose
