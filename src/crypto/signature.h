// SPDX-License-Identifier: Apache-2.0
// Digital signatures: RSA PKCS#1 v1.5, RSA-PSS, ECDSA (DER or raw r||s) and Ed25519.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/digest.h"
#include "crypto/key.h"

namespace cocoon::crypto {

enum class SignatureScheme : std::uint8_t {
  kRsaPkcs1Sha256,
  kRsaPkcs1Sha384,
  kRsaPkcs1Sha512,
  kRsaPssSha256,  // MGF1 with the same hash, salt length = hash length (RFC 7518 §3.5)
  kRsaPssSha384,
  kRsaPssSha512,
  kEcdsaSha256,
  kEcdsaSha384,
  kEcdsaSha512,
  kEd25519,
};

// A short name for messages: "RSA-PKCS1-SHA256", "RSA-PSS-SHA384", "ECDSA-SHA512", "Ed25519".
std::string_view signatureSchemeName(SignatureScheme scheme);

// The only key type a scheme accepts. Each ECDSA scheme binds one curve (SHA-256 with P-256,
// SHA-384 with P-384, SHA-512 with P-521), as JOSE's ES256/ES384/ES512 do.
KeyType signatureSchemeKeyType(SignatureScheme scheme);

// How ECDSA signatures are encoded: ASN.1 DER (X.509, OpenSSL) or the fixed-size
// big-endian r||s concatenation (JOSE, TDX quotes, SNP reports after byte reversal).
enum class EcdsaEncoding : std::uint8_t { kDer, kRaw };

// Signs `message` (hashed inside as the scheme says). Fails with kInvalidArgument when
// the key type does not fit the scheme, kFailedPrecondition when the key is public only.
Result<Bytes> sign(const Key& key, SignatureScheme scheme, ByteSpan message,
                   EcdsaEncoding encoding = EcdsaEncoding::kDer);

// Verifies a signature over `message`. Fails with kUnauthenticated when the signature
// does not verify (including a malformed signature or a raw r||s of the wrong length),
// kInvalidArgument when the key type does not fit the scheme (e.g. an RSA key with an
// ECDSA scheme; the key decides nothing about the algorithm).
Status verify(const Key& key, SignatureScheme scheme, ByteSpan message, ByteSpan signature,
              EcdsaEncoding encoding = EcdsaEncoding::kDer);

// Converts between ECDSA encodings. field_size is the curve's coordinate size (32, 48,
// 66). kInvalidArgument on malformed input or values that do not fit field_size.
Result<Bytes> ecdsaRawToDer(ByteSpan raw, std::size_t field_size);
Result<Bytes> ecdsaDerToRaw(ByteSpan der, std::size_t field_size);

}  // namespace cocoon::crypto
