// SPDX-License-Identifier: Apache-2.0
// RSA-OAEP, ECDH-ES (direct and with AES key wrap), AES key wrap and dir (RFC 7518 §4).
#include "crypto/jose/internal/key_management.h"

#include "common/encoding.h"
#include "crypto/asym_encrypt.h"
#include "crypto/cipher.h"
#include "crypto/jose/ecdh_es.h"
#include "crypto/jose/internal/codec.h"
#include "crypto/jose/jwk.h"
#include "crypto/random.h"

namespace cocoon::jose::internal {
namespace {

using crypto::Key;
using Alg = KeyManagementAlgorithm;

bool isEcdh(Alg alg) {
  return alg == Alg::kEcdhEs || alg == Alg::kEcdhEsA128Kw || alg == Alg::kEcdhEsA192Kw ||
         alg == Alg::kEcdhEsA256Kw;
}

crypto::DigestAlgorithm oaepHash(Alg alg) {
  return alg == Alg::kRsaOaep ? crypto::DigestAlgorithm::kSha1 : crypto::DigestAlgorithm::kSha256;
}

// The Concat KDF AlgorithmID and output size (RFC 7518 §4.6.2).
std::string_view kdfAlgorithmId(Alg alg, ContentEncryption enc) {
  return alg == Alg::kEcdhEs ? contentEncryptionName(enc) : keyManagementName(alg);
}

std::size_t kdfKeySize(Alg alg, ContentEncryption enc) {
  return alg == Alg::kEcdhEs ? contentKeySize(enc) : keyWrapKeySize(alg);
}

JoseResult<Bytes> wrap(ByteSpan kek, ByteSpan cek) {
  auto wrapped = crypto::aesKeyWrap(kek, cek);
  if (!wrapped) {
    return joseFromError(JoseReason::kInvalidArgument, "JWE key wrap", wrapped.error());
  }
  return std::move(*wrapped);
}

JoseResult<SecretBytes> unwrap(ByteSpan kek, ByteSpan wrapped, std::size_t cek_size) {
  auto cek = crypto::aesKeyUnwrap(kek, wrapped);
  if (!cek || cek->size() != cek_size) {
    return decryptionFailed();
  }
  return std::move(*cek);
}

// ECDH-ES on the sending side: a fresh ephemeral key on the recipient's curve.
JoseResult<std::pair<SecretBytes, KeyDelivery>> agreeEphemeral(Alg alg, ContentEncryption enc,
                                                               const Key& recipient, ByteSpan apu,
                                                               ByteSpan apv) {
  auto ephemeral = Key::generate(recipient.type());
  if (!ephemeral) {
    return joseFromError(JoseReason::kInvalidArgument, "ECDH-ES ephemeral key", ephemeral.error());
  }
  COCOON_ASSIGN_OR_RETURN(SecretBytes derived,
                          ecdhEsDeriveKey(*ephemeral, recipient, kdfAlgorithmId(alg, enc), apu, apv,
                                          kdfKeySize(alg, enc)));
  KeyDelivery delivery;
  COCOON_ASSIGN_OR_RETURN(delivery.header_params["epk"],
                          jwkToJson(Jwk{*ephemeral, {}, {}, {}, {}}, JwkExport::kPublic));
  if (!apu.empty()) {
    delivery.header_params["apu"] = base64UrlEncode(apu);
  }
  if (!apv.empty()) {
    delivery.header_params["apv"] = base64UrlEncode(apv);
  }
  return std::pair{std::move(derived), std::move(delivery)};
}

JoseResult<Bytes> optionalB64Param(const JoseHeader& header, std::string_view name) {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                          optionalString(header.params, name, "JWE header"));
  if (!text) {
    return Bytes();
  }
  return decodeBase64Url(*text, fmt::format("JWE header \"{}\"", name));
}

// ECDH-ES on the receiving side (RFC 7518 §4.6.1): epk must be a public key on exactly
// the recipient key's curve; the point itself is validated by jwkFromJson.
JoseResult<SecretBytes> agreeReceived(Alg alg, ContentEncryption enc, const JoseHeader& header,
                                      const Key& own) {
  const json::Json* epk_json = findMember(header.params, "epk");
  if (epk_json == nullptr) {
    return joseFail(JoseReason::kMalformed, "JWE header: {} needs \"epk\"", keyManagementName(alg));
  }
  auto epk = jwkFromJson(*epk_json);
  if (!epk) {
    return joseFail(epk.error().reason, "JWE header \"epk\": {}", epk.error().message);
  }
  if (epk->key.hasPrivate()) {
    return joseFail(JoseReason::kMalformed, "JWE header: \"epk\" holds a private key");
  }
  COCOON_ASSIGN_OR_RETURN(Bytes apu, optionalB64Param(header, "apu"));
  COCOON_ASSIGN_OR_RETURN(Bytes apv, optionalB64Param(header, "apv"));
  return ecdhEsDeriveKey(own, epk->key, kdfAlgorithmId(alg, enc), apu, apv, kdfKeySize(alg, enc));
}

}  // namespace

bool determinesCek(Alg alg) {
  return alg == Alg::kDir || alg == Alg::kEcdhEs;
}

JoseStatus checkKeyFits(Alg alg, ContentEncryption enc, const JweKey& key) {
  if (const Key* asymmetric = key.asymmetric()) {
    if (!keyManagementFitsKey(alg, asymmetric->type())) {
      return joseFail(JoseReason::kKeyMismatch, "JWE alg {} cannot be used with a {} key",
                      keyManagementName(alg), crypto::keyTypeName(asymmetric->type()));
    }
    return {};
  }
  if (usesAsymmetricKey(alg)) {
    return joseFail(JoseReason::kKeyMismatch,
                    "JWE alg {} needs an asymmetric key, not a symmetric one",
                    keyManagementName(alg));
  }
  const std::size_t expected = alg == Alg::kDir ? contentKeySize(enc) : keyWrapKeySize(alg);
  if (key.symmetricKey()->size() != expected) {
    return joseFail(JoseReason::kKeyMismatch,
                    "JWE alg {} with enc {} needs a {}-byte key, found {}", keyManagementName(alg),
                    contentEncryptionName(enc), expected, key.symmetricKey()->size());
  }
  return {};
}

JoseResult<std::pair<SecretBytes, KeyDelivery>> agreeCek(Alg alg, ContentEncryption enc,
                                                         const JweKey& key, ByteSpan apu,
                                                         ByteSpan apv) {
  if (alg == Alg::kDir) {
    return std::pair{*key.symmetricKey(), KeyDelivery{}};
  }
  return agreeEphemeral(alg, enc, *key.asymmetric(), apu, apv);
}

JoseResult<KeyDelivery> deliverCek(Alg alg, const JweKey& key, ByteSpan cek, ByteSpan apu,
                                   ByteSpan apv) {
  KeyDelivery delivery;
  if (alg == Alg::kRsaOaep || alg == Alg::kRsaOaep256) {
    auto encrypted = crypto::rsaOaepEncrypt(*key.asymmetric(), oaepHash(alg), cek);
    if (!encrypted) {
      return joseFromError(JoseReason::kInvalidArgument, "JWE RSA-OAEP", encrypted.error());
    }
    delivery.encrypted_key = std::move(*encrypted);
    return delivery;
  }
  if (isEcdh(alg)) {
    // The content encryption is irrelevant here: the KDF uses alg and the KEK size.
    COCOON_ASSIGN_OR_RETURN(
        auto agreed, agreeEphemeral(alg, ContentEncryption::kA256Gcm, *key.asymmetric(), apu, apv));
    delivery = std::move(agreed.second);
    COCOON_ASSIGN_OR_RETURN(delivery.encrypted_key, wrap(agreed.first.span(), cek));
    return delivery;
  }
  COCOON_ASSIGN_OR_RETURN(delivery.encrypted_key, wrap(key.symmetricKey()->span(), cek));
  return delivery;
}

JoseResult<SecretBytes> recoverCek(Alg alg, ContentEncryption enc, const JoseHeader& header,
                                   ByteSpan encrypted_key, const JweKey& key) {
  const std::size_t cek_size = contentKeySize(enc);
  if (determinesCek(alg) && !encrypted_key.empty()) {
    return joseFail(JoseReason::kMalformed, "JWE: {} requires an empty encrypted key",
                    keyManagementName(alg));
  }
  switch (alg) {
    case Alg::kRsaOaep:
    case Alg::kRsaOaep256: {
      auto cek = crypto::rsaOaepDecrypt(*key.asymmetric(), oaepHash(alg), encrypted_key);
      if (!cek && cek.error().code == Code::kFailedPrecondition) {
        return joseFail(JoseReason::kKeyMismatch, "JWE {}: the key has no private part",
                        keyManagementName(alg));
      }
      if (!cek || cek->size() != cek_size) {
        // RFC 7516 §11.5: carry on with a random CEK so a bad encrypted key and a bad tag
        // look alike, in result and in timing.
        return crypto::randomSecret(cek_size);
      }
      return std::move(*cek);
    }
    case Alg::kEcdhEs:
      return agreeReceived(alg, enc, header, *key.asymmetric());
    case Alg::kEcdhEsA128Kw:
    case Alg::kEcdhEsA192Kw:
    case Alg::kEcdhEsA256Kw: {
      COCOON_ASSIGN_OR_RETURN(SecretBytes kek, agreeReceived(alg, enc, header, *key.asymmetric()));
      return unwrap(kek.span(), encrypted_key, cek_size);
    }
    case Alg::kA128Kw:
    case Alg::kA192Kw:
    case Alg::kA256Kw:
      return unwrap(key.symmetricKey()->span(), encrypted_key, cek_size);
    case Alg::kDir:
      return *key.symmetricKey();
  }
  return decryptionFailed();
}

}  // namespace cocoon::jose::internal
