// SPDX-License-Identifier: Apache-2.0
// ECDH-ES key agreement for JWE (RFC 7518 §4.6, RFC 8037 §3.2): the ECDH shared secret Z
// run through the Concat KDF with the JOSE OtherInfo.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "crypto/jose/jose_error.h"
#include "crypto/key.h"

namespace cocoon::jose {

// RFC 7518 §4.6.2 OtherInfo: AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo,
// the first three as 32-bit big-endian length + bytes, SuppPubInfo = key_bytes * 8 as a
// 32-bit big-endian integer (SuppPrivInfo is empty). algorithm_id is the "enc" value for
// direct ECDH-ES and the "alg" value for ECDH-ES+AxxxKW; apu and apv are the decoded
// "apu"/"apv" header values (empty when absent).
Bytes ecdhEsOtherInfo(std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                      std::size_t key_bytes);

// key_bytes of Concat KDF (SHA-256) output from Z and the OtherInfo above.
SecretBytes ecdhEsKdf(ByteSpan z, std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                      std::size_t key_bytes);

// ECDH between `own` (private) and `peer` (public), then ecdhEsKdf. Fails with
// kWrongCurve when the keys are of different types or curves (the invalid-curve attack
// needs exactly that), kInvalidKey when the agreement fails otherwise (an X25519 peer
// point of low order) and kInvalidArgument when `own` has no private part.
JoseResult<SecretBytes> ecdhEsDeriveKey(const crypto::Key& own, const crypto::Key& peer,
                                        std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                                        std::size_t key_bytes);

}  // namespace cocoon::jose
