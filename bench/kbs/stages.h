// SPDX-License-Identifier: Apache-2.0
// What the KBS does per handshake and per GET besides HTTP, stage by stage: each step of
// the service's handlers (store calls, parsing, verifier, policies, token issue/verify,
// JWE) called directly on one thread against the running KBS's own store, so that a gap
// between the load figures and the floor can be attributed without a profiler.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "timing.h"

namespace cocoon::kbs::bench {

struct StageInputs {
  std::string store_url;                    // the running KBS's store (a second connection)
  std::filesystem::path token_signing_key;  // the KBS's PEM token key
  crypto::Key tee_key;                      // a guest P-256 key (private)
  std::string resource_path;                // a resource that exists
};

struct Stages {
  std::vector<Cost> handshake;      // auth then attest, in handler order
  std::vector<Cost> resource;       // GET with a Bearer token, in handler order
  std::uint64_t live_sessions = 0;  // in the store when measured (auth counts them)
};

// Measures every stage for `per_op` on the calling thread. It writes sessions to the
// store (as many as the loops need). Errors: those of opening the store and the key;
// kInternal naming the stage that failed.
Result<Stages> measureStages(const StageInputs& inputs, std::chrono::milliseconds per_op);

}  // namespace cocoon::kbs::bench
