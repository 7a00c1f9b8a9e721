// SPDX-License-Identifier: Apache-2.0
// The cost floor of the KBS: the cryptographic work it cannot avoid per RCAR handshake and
// per resource GET, done directly through cocoon's crypto/jose libraries (OpenSSL EVP
// underneath) in a tight loop on one thread, with no HTTP, store or policy around it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "timing.h"

namespace cocoon::kbs::bench {

struct FloorInputs {
  // A token the KBS issued in this run: the floor signs and verifies one of exactly its
  // size (same protected header members and payload).
  std::string token;
  // A guest's P-256 key (private); its public JWK is the tee-pubkey.
  crypto::Key tee_key;
  Bytes resource;  // the resource value the GETs fetch
};

struct Floor {
  // Per handshake: nonce and session id generation, JCS + SHA-384 of the runtime data,
  // the JWK parse of the tee-pubkey, ES256 signing of the token.
  std::vector<Cost> handshake;
  // Per GET: ES256 verification of the token, ECDH-ES+A256KW/A256GCM JWE to P-256.
  std::vector<Cost> resource;
};

// Measures each floor operation for `per_op` of wall time on the calling thread.
// Errors: kInvalidArgument when `token` is not a compact JWS with a JSON header;
// kInternal naming the operation that failed.
Result<Floor> measureFloor(const FloorInputs& inputs, std::chrono::milliseconds per_op);

}  // namespace cocoon::kbs::bench
