// SPDX-License-Identifier: Apache-2.0
// The JWE profile of KBS resource responses (PROTOCOLS.md §1.4): flattened JSON
// {"protected","encrypted_key","iv","ciphertext","tag"} with enc A256GCM and alg
// RSA-OAEP-256 (RSA tee-pubkey) or ECDH-ES+A256KW with "epk" in the protected header
// (EC or X25519 tee-pubkey), no AAD, empty apu/apv.
// Trust: decryptKbsResponse takes the KBS's answer, attacker-controlled until its tag
// verifies under the TEE's private key.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "crypto/jose/jose_error.h"
#include "crypto/jose/jwe.h"
#include "crypto/key.h"

namespace cocoon::jose {

// The "alg" a KBS uses for `tee_pubkey` (also the JWK "alg" the guest advertises):
// RSA-OAEP-256 for RSA, ECDH-ES+A256KW for P-256/P-384/P-521/X25519. kKeyMismatch for
// Ed25519 (a signature-only key).
JoseResult<KeyManagementAlgorithm> kbsKeyManagement(const crypto::Key& tee_pubkey);

// Encrypts a resource for the TEE key the attestation token carried. Errors as for
// kbsKeyManagement and encryptJweJson.
JoseResult<std::string> encryptForKbsResponse(const crypto::Key& tee_pubkey, ByteSpan plaintext);

// Decrypts a KBS resource response with the TEE's private key. Accepts only the KBS
// profile: alg RSA-OAEP-256 or ECDH-ES+A256KW and enc A256GCM (kAlgorithmNotAllowed
// otherwise), plus every error of parseJweJson and decryptJwe.
JoseResult<SecretBytes> decryptKbsResponse(const crypto::Key& tee_private_key,
                                           std::string_view json, const JoseLimits& limits = {});

}  // namespace cocoon::jose
