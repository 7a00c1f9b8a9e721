// SPDX-License-Identifier: Apache-2.0
// JWE key management (RFC 7518 §4): producing and recovering the CEK for one recipient.
#pragma once

#include "common/bytes.h"
#include "crypto/jose/algorithms.h"
#include "crypto/jose/header.h"
#include "crypto/jose/jose_error.h"
#include "crypto/jose/jwe.h"
#include "json/json.h"

namespace cocoon::jose::internal {

// kKeyMismatch unless `key` may be used with alg/enc: an asymmetric key of a fitting type
// for RSA-OAEP*/ECDH-ES*, a symmetric key of the KEK size for AxxxKW and of the CEK size
// for dir.
JoseStatus checkKeyFits(KeyManagementAlgorithm alg, ContentEncryption enc, const JweKey& key);

// True for dir and direct ECDH-ES: key management decides the CEK.
bool determinesCek(KeyManagementAlgorithm alg);

// What key management produced for one recipient on the encrypting side.
struct KeyDelivery {
  Bytes encrypted_key;
  json::Json header_params = json::Json::object();  // epk, apu, apv
};

// dir / direct ECDH-ES: the CEK itself and its header parameters.
// REQUIRES: determinesCek(alg) and checkKeyFits passed.
JoseResult<std::pair<SecretBytes, KeyDelivery>> agreeCek(KeyManagementAlgorithm alg,
                                                         ContentEncryption enc, const JweKey& key,
                                                         ByteSpan apu, ByteSpan apv);
// The other algorithms: deliver `cek` to the recipient.
// REQUIRES: !determinesCek(alg) and checkKeyFits passed.
JoseResult<KeyDelivery> deliverCek(KeyManagementAlgorithm alg, const JweKey& key, ByteSpan cek,
                                   ByteSpan apu, ByteSpan apv);

// The decrypting side: the CEK (contentKeySize(enc) bytes) for one recipient.
// REQUIRES: checkKeyFits passed. kDecryptionFailed when unwrapping fails; a failed RSA
// decryption instead yields a random CEK (RFC 7516 §11.5), so that it fails later, at the
// tag, exactly like a wrong key. kMalformed/kBadBase64/kInvalidKey/kWrongCurve for bad
// epk/apu/apv, kMalformed for a non-empty encrypted_key with dir or direct ECDH-ES.
JoseResult<SecretBytes> recoverCek(KeyManagementAlgorithm alg, ContentEncryption enc,
                                   const JoseHeader& header, ByteSpan encrypted_key,
                                   const JweKey& key);

}  // namespace cocoon::jose::internal
