// SPDX-License-Identifier: Apache-2.0
// KBS resource response JWE: the flattened A256GCM profile of PROTOCOLS.md §1.4.
#include "crypto/jose/kbs_jwe.h"

namespace cocoon::jose {

JoseResult<KeyManagementAlgorithm> kbsKeyManagement(const crypto::Key& tee_pubkey) {
  if (tee_pubkey.type() == crypto::KeyType::kRsa) {
    return KeyManagementAlgorithm::kRsaOaep256;
  }
  if (keyManagementFitsKey(KeyManagementAlgorithm::kEcdhEsA256Kw, tee_pubkey.type())) {
    return KeyManagementAlgorithm::kEcdhEsA256Kw;
  }
  return joseFail(JoseReason::kKeyMismatch, "a {} key cannot receive KBS resources",
                  crypto::keyTypeName(tee_pubkey.type()));
}

JoseResult<std::string> encryptForKbsResponse(const crypto::Key& tee_pubkey, ByteSpan plaintext) {
  COCOON_ASSIGN_OR_RETURN(KeyManagementAlgorithm alg, kbsKeyManagement(tee_pubkey));
  const JweRecipient recipient{JweKey(tee_pubkey.publicKey()), alg};
  JweEncryptOptions options;
  options.enc = ContentEncryption::kA256Gcm;
  return encryptJweJson(plaintext, std::span(&recipient, 1), options, JweJsonForm::kFlattened);
}

JoseResult<SecretBytes> decryptKbsResponse(const crypto::Key& tee_private_key,
                                           std::string_view json, const JoseLimits& limits) {
  JweDecryptOptions options;
  options.allowed_algorithms = {KeyManagementAlgorithm::kRsaOaep256,
                                KeyManagementAlgorithm::kEcdhEsA256Kw};
  options.allowed_encryptions = {ContentEncryption::kA256Gcm};
  COCOON_ASSIGN_OR_RETURN(DecryptedJwe decrypted,
                          decryptJweJson(json, JweKey(tee_private_key), options, limits));
  return std::move(decrypted.plaintext);
}

}  // namespace cocoon::jose
