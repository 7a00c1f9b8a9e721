// SPDX-License-Identifier: Apache-2.0
// Name tables and key-type rules for the JOSE algorithms we implement.
#include "crypto/jose/algorithms.h"

#include <array>

namespace cocoon::jose {
namespace {

using crypto::KeyType;

template <class Enum, std::size_t N>
struct NameTable {
  std::array<std::pair<Enum, std::string_view>, N> entries;

  std::string_view name(Enum value) const {
    for (const auto& [e, n] : entries) {
      if (e == value) {
        return n;
      }
    }
    return "?";
  }
  const Enum* find(std::string_view name) const {
    for (const auto& entry : entries) {
      if (entry.second == name) {
        return &entry.first;
      }
    }
    return nullptr;
  }
};

constexpr NameTable<JwsAlgorithm, 10> kJwsNames{{{
    {JwsAlgorithm::kRs256, "RS256"},
    {JwsAlgorithm::kRs384, "RS384"},
    {JwsAlgorithm::kRs512, "RS512"},
    {JwsAlgorithm::kPs256, "PS256"},
    {JwsAlgorithm::kPs384, "PS384"},
    {JwsAlgorithm::kPs512, "PS512"},
    {JwsAlgorithm::kEs256, "ES256"},
    {JwsAlgorithm::kEs384, "ES384"},
    {JwsAlgorithm::kEs512, "ES512"},
    {JwsAlgorithm::kEdDsa, "EdDSA"},
}}};

constexpr NameTable<KeyManagementAlgorithm, 10> kKeyManagementNames{{{
    {KeyManagementAlgorithm::kRsaOaep, "RSA-OAEP"},
    {KeyManagementAlgorithm::kRsaOaep256, "RSA-OAEP-256"},
    {KeyManagementAlgorithm::kEcdhEs, "ECDH-ES"},
    {KeyManagementAlgorithm::kEcdhEsA128Kw, "ECDH-ES+A128KW"},
    {KeyManagementAlgorithm::kEcdhEsA192Kw, "ECDH-ES+A192KW"},
    {KeyManagementAlgorithm::kEcdhEsA256Kw, "ECDH-ES+A256KW"},
    {KeyManagementAlgorithm::kA128Kw, "A128KW"},
    {KeyManagementAlgorithm::kA192Kw, "A192KW"},
    {KeyManagementAlgorithm::kA256Kw, "A256KW"},
    {KeyManagementAlgorithm::kDir, "dir"},
}}};

constexpr NameTable<ContentEncryption, 6> kContentNames{{{
    {ContentEncryption::kA128Gcm, "A128GCM"},
    {ContentEncryption::kA192Gcm, "A192GCM"},
    {ContentEncryption::kA256Gcm, "A256GCM"},
    {ContentEncryption::kA128CbcHs256, "A128CBC-HS256"},
    {ContentEncryption::kA192CbcHs384, "A192CBC-HS384"},
    {ContentEncryption::kA256CbcHs512, "A256CBC-HS512"},
}}};

template <class Enum, std::size_t N>
std::array<Enum, N> allOf(const NameTable<Enum, N>& table) {
  std::array<Enum, N> all{};
  for (std::size_t i = 0; i < N; ++i) {
    all[i] = table.entries[i].first;
  }
  return all;
}

}  // namespace

std::string_view jwsAlgorithmName(JwsAlgorithm alg) {
  return kJwsNames.name(alg);
}

JoseResult<JwsAlgorithm> parseJwsAlgorithm(std::string_view name) {
  if (const JwsAlgorithm* alg = kJwsNames.find(name)) {
    return *alg;
  }
  if (name == "none") {
    return joseFail(JoseReason::kUnsupportedAlgorithm,
                    "JWS alg \"none\" (unsecured JWS) is never accepted");
  }
  return joseFail(JoseReason::kUnsupportedAlgorithm, "JWS alg \"{}\" is not supported",
                  name.substr(0, 32));
}

bool jwsAlgorithmFitsKey(JwsAlgorithm alg, KeyType type) {
  switch (alg) {
    case JwsAlgorithm::kRs256:
    case JwsAlgorithm::kRs384:
    case JwsAlgorithm::kRs512:
    case JwsAlgorithm::kPs256:
    case JwsAlgorithm::kPs384:
    case JwsAlgorithm::kPs512:
      return type == KeyType::kRsa;
    case JwsAlgorithm::kEs256:
      return type == KeyType::kEcP256;
    case JwsAlgorithm::kEs384:
      return type == KeyType::kEcP384;
    case JwsAlgorithm::kEs512:
      return type == KeyType::kEcP521;
    case JwsAlgorithm::kEdDsa:
      return type == KeyType::kEd25519;
  }
  return false;
}

crypto::SignatureScheme jwsSignatureScheme(JwsAlgorithm alg) {
  using crypto::SignatureScheme;
  switch (alg) {
    case JwsAlgorithm::kRs256:
      return SignatureScheme::kRsaPkcs1Sha256;
    case JwsAlgorithm::kRs384:
      return SignatureScheme::kRsaPkcs1Sha384;
    case JwsAlgorithm::kRs512:
      return SignatureScheme::kRsaPkcs1Sha512;
    case JwsAlgorithm::kPs256:
      return SignatureScheme::kRsaPssSha256;
    case JwsAlgorithm::kPs384:
      return SignatureScheme::kRsaPssSha384;
    case JwsAlgorithm::kPs512:
      return SignatureScheme::kRsaPssSha512;
    case JwsAlgorithm::kEs256:
      return SignatureScheme::kEcdsaSha256;
    case JwsAlgorithm::kEs384:
      return SignatureScheme::kEcdsaSha384;
    case JwsAlgorithm::kEs512:
      return SignatureScheme::kEcdsaSha512;
    case JwsAlgorithm::kEdDsa:
      return SignatureScheme::kEd25519;
  }
  return SignatureScheme::kEd25519;
}

std::span<const JwsAlgorithm> allJwsAlgorithms() {
  static const auto kAll = allOf(kJwsNames);
  return kAll;
}

std::string_view keyManagementName(KeyManagementAlgorithm alg) {
  return kKeyManagementNames.name(alg);
}

JoseResult<KeyManagementAlgorithm> parseKeyManagement(std::string_view name) {
  if (const KeyManagementAlgorithm* alg = kKeyManagementNames.find(name)) {
    return *alg;
  }
  return joseFail(JoseReason::kUnsupportedAlgorithm, "JWE alg \"{}\" is not supported",
                  name.substr(0, 32));
}

bool usesAsymmetricKey(KeyManagementAlgorithm alg) {
  switch (alg) {
    case KeyManagementAlgorithm::kA128Kw:
    case KeyManagementAlgorithm::kA192Kw:
    case KeyManagementAlgorithm::kA256Kw:
    case KeyManagementAlgorithm::kDir:
      return false;
    default:
      return true;
  }
}

bool keyManagementFitsKey(KeyManagementAlgorithm alg, KeyType type) {
  switch (alg) {
    case KeyManagementAlgorithm::kRsaOaep:
    case KeyManagementAlgorithm::kRsaOaep256:
      return type == KeyType::kRsa;
    case KeyManagementAlgorithm::kEcdhEs:
    case KeyManagementAlgorithm::kEcdhEsA128Kw:
    case KeyManagementAlgorithm::kEcdhEsA192Kw:
    case KeyManagementAlgorithm::kEcdhEsA256Kw:
      return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521 ||
             type == KeyType::kX25519;
    default:
      return false;
  }
}

std::size_t keyWrapKeySize(KeyManagementAlgorithm alg) {
  switch (alg) {
    case KeyManagementAlgorithm::kA128Kw:
    case KeyManagementAlgorithm::kEcdhEsA128Kw:
      return 16;
    case KeyManagementAlgorithm::kA192Kw:
    case KeyManagementAlgorithm::kEcdhEsA192Kw:
      return 24;
    case KeyManagementAlgorithm::kA256Kw:
    case KeyManagementAlgorithm::kEcdhEsA256Kw:
      return 32;
    default:
      return 0;
  }
}

std::span<const KeyManagementAlgorithm> allKeyManagementAlgorithms() {
  static const auto kAll = allOf(kKeyManagementNames);
  return kAll;
}

std::string_view contentEncryptionName(ContentEncryption enc) {
  return kContentNames.name(enc);
}

JoseResult<ContentEncryption> parseContentEncryption(std::string_view name) {
  if (const ContentEncryption* enc = kContentNames.find(name)) {
    return *enc;
  }
  return joseFail(JoseReason::kUnsupportedAlgorithm, "JWE enc \"{}\" is not supported",
                  name.substr(0, 32));
}

std::size_t contentKeySize(ContentEncryption enc) {
  switch (enc) {
    case ContentEncryption::kA128Gcm:
      return 16;
    case ContentEncryption::kA192Gcm:
      return 24;
    case ContentEncryption::kA256Gcm:
    case ContentEncryption::kA128CbcHs256:
      return 32;
    case ContentEncryption::kA192CbcHs384:
      return 48;
    case ContentEncryption::kA256CbcHs512:
      return 64;
  }
  return 0;
}

std::size_t contentIvSize(ContentEncryption enc) {
  switch (enc) {
    case ContentEncryption::kA128Gcm:
    case ContentEncryption::kA192Gcm:
    case ContentEncryption::kA256Gcm:
      return 12;
    default:
      return 16;
  }
}

std::size_t contentTagSize(ContentEncryption enc) {
  switch (enc) {
    case ContentEncryption::kA192CbcHs384:
      return 24;
    case ContentEncryption::kA256CbcHs512:
      return 32;
    default:
      return 16;
  }
}

std::span<const ContentEncryption> allContentEncryptions() {
  static const auto kAll = allOf(kContentNames);
  return kAll;
}

}  // namespace cocoon::jose
